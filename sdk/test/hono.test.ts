import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pulsestream } from "../src/hono.js";
import { PulseStream, type PulseStreamEvent } from "../src/index.js";
import { fakeFetch } from "./fake-fetch.js";

const endpoint = "https://ps.example.test";

function app(ms = 0) {
	const transport = fakeFetch();
	const client = new PulseStream({ apiKey: "ps_key", endpoint, source: "shop", fetch: transport.fetch });
	const a = new Hono();
	a.use(pulsestream(client));
	a.get("/orders/:id", async (c) => {
		if (ms) await new Promise((r) => setTimeout(r, ms));
		return c.json({ id: c.req.param("id") });
	});
	a.post("/orders", (c) => c.json({}, 201));
	a.get("/boom", () => {
		throw new Error("handler failed");
	});
	a.get("/throws-value", () => {
		throw "not an Error"; // Hono's error handler takes only Errors: this one leaves app.fetch
	});
	const v1 = new Hono();
	v1.get("/items/:n", (c) => c.text("item"));
	a.route("/v1", v1);
	const events = () => transport.calls.flatMap((c) => c.body.events);
	return { app: a, client, transport, events };
}

const ctx = () => ({ waitUntil: vi.fn<(p: Promise<unknown>) => void>(), passThroughOnException: () => {}, props: {} });

beforeEach(() => {
	vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
});
afterEach(() => vi.useRealTimers());

describe("Hono middleware", () => {
	it("reports route templates, not raw paths, with method, status, duration and source", async () => {
		const { app: a, client, events } = app(25);
		const pending = Promise.all([
			a.request("/orders/1"),
			a.request("/orders/2?x=1"),
			a.request("/orders", { method: "POST" }),
			a.request("/v1/items/42"),
			a.request("/no/such/route"),
		]);
		await vi.advanceTimersByTimeAsync(25);
		const statuses = (await pending).map((r) => r.status);
		expect(statuses).toEqual([200, 200, 201, 200, 404]);
		await client.flush();
		const seen = events().map((e) => [e.endpoint, e.method, e.status_code]);
		expect(seen).toEqual([
			["/orders", "POST", 201],
			["/v1/items/:n", "GET", 200],
			["/*", "GET", 404], // nothing matched: the middleware's own pattern, never "/no/such/route"
			["/orders/:id", "GET", 200],
			["/orders/:id", "GET", 200],
		]);
		for (const e of events()) {
			expect(e).toMatchObject({ event_type: "api_call", source: "shop", severity: "info" });
			expect(typeof e.event_id).toBe("string");
		}
		const orders = events().filter((e) => e.endpoint === "/orders/:id");
		for (const e of orders) expect(e.response_time_ms).toBe(25);
		expect(JSON.stringify(events())).not.toContain("/orders/1");
	});

	it("a handler that throws is a 500 with severity error, and the error still reaches the error handler", async () => {
		const { app: a, client, events } = app();
		const caught: string[] = [];
		a.onError((err, c) => {
			caught.push(err.message);
			return c.text("sorry", 500);
		});
		const res = await a.request("/boom");
		expect(res.status).toBe(500);
		expect(caught).toEqual(["handler failed"]);
		await expect(a.request("/throws-value")).rejects.toBe("not an Error"); // propagates past the middleware
		await client.flush();
		expect(events().map((e) => [e.endpoint, e.status_code, e.severity])).toEqual([
			["/boom", 500, "error"],
			["/throws-value", 500, "error"],
		]);
	});

	it("a status set by the app's error handler is the status reported", async () => {
		const { app: a, client, events } = app();
		a.onError((_err, c) => c.text("unavailable", 503));
		expect((await a.request("/boom")).status).toBe(503);
		await client.flush();
		expect(events()[0]).toMatchObject({ endpoint: "/boom", status_code: 503 });
	});

	it("with an execution context (Workers) it flushes through waitUntil, once per request", async () => {
		const { app: a, transport } = app();
		const c = ctx();
		const res = await a.request("/orders/7", {}, {}, c);
		expect(res.status).toBe(200);
		expect(c.waitUntil).toHaveBeenCalledTimes(1);
		await c.waitUntil.mock.calls[0]![0];
		expect(transport.calls).toHaveLength(1); // sent by the waitUntil promise, not by a timer
		expect(transport.calls[0]!.body.events[0]).toMatchObject({ endpoint: "/orders/:id", status_code: 200 });
		expect(vi.getTimerCount()).toBe(0);
	});

	it("without an execution context (Node) the timer sends the batch", async () => {
		const { app: a, transport } = app();
		await a.request("/orders/7");
		expect(transport.calls).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1000);
		expect(transport.calls).toHaveLength(1);
	});

	it("a factory reads the key from c.env, and one client serves requests with the same options", async () => {
		const transport = fakeFetch();
		const made: string[] = [];
		const a = new Hono<{ Bindings: { PS_KEY: string } }>();
		a.use(
			pulsestream((c) => {
				made.push(c.env.PS_KEY);
				return { apiKey: c.env.PS_KEY, endpoint, fetch: transport.fetch };
			}),
		);
		a.get("/x/:id", (c) => c.text("x"));
		const c1 = ctx();
		await a.request("/x/1", {}, { PS_KEY: "key-a" }, c1);
		await a.request("/x/2", {}, { PS_KEY: "key-a" }, c1);
		await a.request("/x/3", {}, { PS_KEY: "key-b" }, c1);
		await Promise.all(c1.waitUntil.mock.calls.map(([p]) => p));
		expect(transport.calls.map((c) => c.headers.get("x-api-key"))).toEqual(["key-a", "key-a", "key-b"]);
		expect(made).toEqual(["key-a", "key-a", "key-b"]);
	});

	it("a factory that throws (a missing binding) serves the request unreported", async () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		const a = new Hono();
		a.use(
			pulsestream(() => {
				throw new Error("PS_KEY is not set");
			}),
		);
		a.get("/", (c) => c.text("fine"));
		const res = await a.request("/");
		expect(await res.text()).toBe("fine");
		expect(warn).toHaveBeenCalledTimes(1);
		warn.mockRestore();
	});

	it("does not report requests to the SDK's own batch URL", async () => {
		const transport = fakeFetch();
		const client = new PulseStream({ apiKey: "k", endpoint: "http://localhost", fetch: transport.fetch });
		const a = new Hono();
		a.use(pulsestream(client));
		a.post("/api/v1/ingestion/events/batch", (c) => c.json({ results: [] }));
		a.get("/api/v1/other", (c) => c.text("x"));
		await a.request("http://localhost/api/v1/ingestion/events/batch", { method: "POST" });
		await a.request("http://localhost/api/v1/other");
		await client.flush();
		const events: PulseStreamEvent[] = transport.calls.flatMap((c) => c.body.events);
		expect(events.map((e) => e.endpoint)).toEqual(["/api/v1/other"]);
	});

	it("an HTTP method outside the contract's list is reported without a method", async () => {
		const { app: a, client, events } = app();
		a.on("PROPFIND", "/dav", (c) => c.text("dav"));
		await a.request("/dav", { method: "PROPFIND" });
		await client.flush();
		expect(events()[0]).toMatchObject({ endpoint: "/dav", status_code: 200 });
		expect(events()[0]).not.toHaveProperty("method");
	});
});
