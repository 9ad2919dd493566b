// The dashboard WebSocket (API.md, Live dashboard) as `npm run dev` serves it,
// driven from Node with `ws` as a browser would: the upgrade's answers, the
// live events, heartbeats, filters, bad frames and a logout closing the socket.
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");
const wsBase = base.replace(/^http/, "ws");

type Registered = {
	tenant: { id: string; slug: string };
	api_key: { key: string };
	access_token: string;
	refresh_token: string;
};
type Frame = { type: string; [k: string]: any };
let t: Registered;
let other: Registered;
const PASSWORD = "end-to-end-password";
const EMAIL = "sockets@example.test";

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${base}${path}`, {
		method,
		headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as Record<string, any> };
}

async function register(name: string): Promise<Registered> {
	const res = await call("POST", "/api/v1/auth/register/tenant", {
		name,
		slug: `e2e-${name.toLowerCase()}-${Date.now().toString(36)}`,
		email: EMAIL,
		password: PASSWORD,
	});
	expect(res.status).toBe(201);
	return res.body as Registered;
}

const socketUrl = (tenantId: string, token?: string) =>
	`${wsBase}/api/v1/dashboard/ws/${tenantId}${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`;

/** An upgrade the server refuses: its HTTP status and JSON body. */
function refused(url: string): Promise<{ status: number; body: any }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url);
		ws.on("error", () => {});
		ws.once("unexpected-response", (_req, res) => {
			let body = "";
			res.on("data", (d) => (body += d));
			res.on("end", () => {
				ws.terminate();
				resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : null });
			});
		});
		ws.once("open", () => {
			ws.close();
			reject(new Error("the upgrade was accepted"));
		});
	});
}

/** An open socket that keeps every frame it receives, parsed, until a test takes it. */
type Client = {
	ws: WebSocket;
	frames: Frame[];
	closed: Promise<{ code: number; reason: string }>;
	send(frame: unknown): void;
	/** The first frame (received or to come) that matches, taken from the list. */
	next(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
};
const clients: Client[] = [];

function connect(token = t.access_token, tenantId = t.tenant.id): Promise<Client> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(socketUrl(tenantId, token));
		const frames: Frame[] = [];
		ws.on("message", (data, isBinary) => frames.push(isBinary ? { type: "<binary>" } : JSON.parse(String(data))));
		let closedWith = "";
		const closed = new Promise<{ code: number; reason: string }>((res) =>
			ws.once("close", (code, reason) => {
				closedWith = ` (closed ${code} ${reason})`;
				res({ code, reason: String(reason) });
			}),
		);
		ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
		ws.once("error", reject);
		ws.once("open", () => {
			const client: Client = {
				ws,
				frames,
				closed,
				send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
				async next(match, timeoutMs = 2000) {
					const deadline = Date.now() + timeoutMs;
					for (;;) {
						const i = frames.findIndex(match);
						if (i >= 0) return frames.splice(i, 1)[0]!;
						if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms${closedWith}; frames: ${JSON.stringify(frames).slice(0, 2000)}`);
						await new Promise((r) => setTimeout(r, 10));
					}
				},
			};
			clients.push(client);
			resolve(client);
		});
	});
}

async function subscribed(filter?: Record<string, string>, token?: string): Promise<Client> {
	const c = await connect(token);
	c.send({ type: "subscribe", channels: ["events"], ...(filter ? { filter } : {}) });
	const ack = await c.next((f) => f.type === "subscribed");
	expect(ack.channels).toEqual(["events"]);
	return c;
}

const unique = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const ingest = (events: Record<string, unknown>[]) => call("POST", "/api/v1/ingestion/events/batch", { events }, { "X-API-Key": t.api_key.key });
const hasEvent = (id: string) => (f: Frame) => f.type === "events" && f.data.some((e: { event_id: string }) => e.event_id === id);

beforeAll(async () => {
	t = await register("Sockets");
	other = await register("Other");
});

afterAll(() => {
	for (const c of clients) c.ws.terminate();
});

describe("dashboard WebSocket, end to end under npm run dev", () => {
	it("refuses the upgrade: 401 without or with a bad token, 403 with another tenant's, 426 for a plain GET", async () => {
		const none = await refused(socketUrl(t.tenant.id));
		expect(none.status).toBe(401);
		expect(none.body.error.code).toBe("UNAUTHORIZED");
		expect((await refused(socketUrl(t.tenant.id, "not-a-token"))).status).toBe(401);
		// A well-formed token of this tenant with its signature tampered with.
		const [h, p, s] = t.access_token.split(".");
		const forged = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
		expect((await refused(socketUrl(t.tenant.id, forged))).status).toBe(401);
		// The API key is not a user token.
		expect((await refused(socketUrl(t.tenant.id, t.api_key.key))).status).toBe(401);

		const foreign = await refused(socketUrl(t.tenant.id, other.access_token));
		expect(foreign.status).toBe(403);
		expect(foreign.body.error.code).toBe("FORBIDDEN");

		const plain = await call("GET", `/api/v1/dashboard/ws/${t.tenant.id}?token=${encodeURIComponent(t.access_token)}`);
		expect(plain.status).toBe(426);
		expect(plain.body.error.code).toBe("UPGRADE_REQUIRED");
	});

	it("a subscribed socket receives an ingested event within 1 s, and connections/stats counts it", async () => {
		const c = await subscribed();
		const stats = await call("GET", "/api/v1/dashboard/connections/stats", undefined, { "X-API-Key": t.api_key.key });
		expect(stats.status).toBe(200);
		expect(stats.body.connections).toBeGreaterThanOrEqual(1);
		expect(stats.body.subscriptions.events).toBeGreaterThanOrEqual(1);

		const id = unique("live");
		const sent = Date.now();
		const res = await call(
			"POST",
			"/api/v1/ingestion/events",
			{ event_id: id, event_type: "api_call", source: "e2e", endpoint: "/v1/live", method: "GET", status_code: 200, response_time_ms: 12.5 },
			{ "X-API-Key": t.api_key.key },
		);
		expect(res.status).toBeLessThan(300);
		const frame = await c.next(hasEvent(id), 1000);
		const arrived = Date.now();
		expect(arrived - sent).toBeLessThan(1000);
		const event = frame.data.find((e: { event_id: string }) => e.event_id === id);
		expect(event).toMatchObject({ event_id: id, event_type: "api_call", source: "e2e", endpoint: "/v1/live", method: "GET", status_code: 200, response_time_ms: 12.5 });
		expect(new Date(event.received_at).toISOString()).toBe(event.received_at);
		expect(Date.parse(event.received_at)).toBeGreaterThanOrEqual(sent - 1000);
		expect(Date.parse(event.received_at)).toBeLessThanOrEqual(arrived);
		expect(frame.dropped).toBeUndefined();
	});

	it("answers a ping with a pong, exact text (the platform's auto-response) or any other spelling", async () => {
		const c = await connect();
		c.send('{"type":"ping"}');
		expect(await c.next((f) => f.type === "pong")).toEqual({ type: "pong" });
		c.send('{ "type": "ping" }');
		expect(await c.next((f) => f.type === "pong")).toEqual({ type: "pong" });
	});

	it("a filter passes only matching events (status_class 5xx)", async () => {
		const all = await subscribed();
		const errors = await subscribed({ status_class: "5xx" });
		const ok = unique("ok");
		const failed = unique("failed");
		const none = unique("no-status");
		const base = { event_type: "api_call", source: "e2e-filter", endpoint: "/v1/filter", method: "GET", response_time_ms: 5 };
		const res = await ingest([
			{ ...base, event_id: ok, status_code: 200 },
			{ ...base, event_id: failed, status_code: 503 },
			{ ...base, event_id: none, event_type: "custom", status_code: undefined },
		]);
		expect(res.body.accepted).toBe(3);

		// The unfiltered socket sees all three; the filtered one only the 503, in the frame of the same flush.
		const seen = new Set<string>();
		while (![ok, failed, none].every((id) => seen.has(id))) {
			const f = await all.next((f) => f.type === "events", 2000);
			for (const e of f.data) seen.add(e.event_id);
		}
		const frame = await errors.next(hasEvent(failed), 2000);
		expect(frame.data.map((e: { event_id: string }) => e.event_id)).toEqual([failed]);
		await new Promise((r) => setTimeout(r, 300));
		const later = errors.frames.filter((f) => f.type === "events").flatMap((f) => f.data.map((e: { event_id: string }) => e.event_id));
		expect(later).not.toContain(ok);
		expect(later).not.toContain(none);
	});

	it("answers a bad frame with an error frame and keeps the socket working", async () => {
		const c = await subscribed();
		c.send("this is not json");
		expect(await c.next((f) => f.type === "error")).toMatchObject({ type: "error", code: "INVALID_JSON", message: expect.any(String) });
		c.send({ type: "subscribe", channels: ["nope"] });
		expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "VALIDATION_ERROR" });
		c.send({ type: "hello" });
		expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "UNKNOWN_TYPE" });
		expect(c.ws.readyState).toBe(WebSocket.OPEN);

		c.send({ type: "ping" });
		expect(await c.next((f) => f.type === "pong")).toEqual({ type: "pong" });
		const id = unique("after-error");
		expect((await ingest([{ event_id: id, event_type: "api_call", endpoint: "/v1/after", status_code: 200 }])).body.accepted).toBe(1);
		await c.next(hasEvent(id), 1000);
	});

	it("logout closes the session's sockets with 4001 and leaves the other sessions' open", async () => {
		const login = await call("POST", "/api/v1/auth/login", { tenant: t.tenant.slug, email: EMAIL, password: PASSWORD });
		expect(login.status).toBe(200);
		const session = login.body as { access_token: string; refresh_token: string };
		const leaving = await subscribed(undefined, session.access_token);
		const staying = await subscribed();

		const out = await call("POST", "/api/v1/auth/logout", { refresh_token: session.refresh_token }, { Authorization: `Bearer ${session.access_token}` });
		expect(out.status).toBe(204);
		const closed = await Promise.race([leaving.closed, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
		expect(closed).toMatchObject({ code: 4001 });

		// The ended session cannot open a socket again; the owner's first session still has one that works.
		expect((await refused(socketUrl(t.tenant.id, session.access_token))).status).toBe(401);
		expect(staying.ws.readyState).toBe(WebSocket.OPEN);
		staying.send({ type: "ping" });
		expect(await staying.next((f) => f.type === "pong")).toEqual({ type: "pong" });
	});
});
