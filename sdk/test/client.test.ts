import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PulseStream, type PulseStreamError } from "../src/index.js";
import { fakeFetch } from "./fake-fetch.js";

const endpoint = "https://ps.example.test";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function setup(options: Partial<ConstructorParameters<typeof PulseStream>[0]> = {}) {
	const transport = fakeFetch();
	const errors: PulseStreamError[] = [];
	const client = new PulseStream({ apiKey: "ps_key", endpoint, fetch: transport.fetch, onError: (e) => errors.push(e), ...options });
	return { client, errors, ...transport };
}

beforeEach(() => {
	vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
	vi.useRealTimers();
	vi.restoreAllMocks();
});

describe("configuration", () => {
	it("throws at construction for a missing key or a non-http endpoint, and joins the batch URL", () => {
		expect(() => new PulseStream({ apiKey: "", endpoint })).toThrow(/apiKey/);
		expect(() => new PulseStream({ apiKey: "k", endpoint: "ps.example.test" })).toThrow(/endpoint/);
		expect(() => new PulseStream({ apiKey: "k", endpoint, maxBatchEvents: 1001 })).toThrow(/maxBatchEvents/);
		expect(() => new PulseStream({ apiKey: "k", endpoint, maxRetryMs: -1 })).toThrow(/maxRetryMs/);
		expect(new PulseStream({ apiKey: "k", endpoint: `${endpoint}/` }).batchUrl).toBe(`${endpoint}/api/v1/ingestion/events/batch`);
		expect(new PulseStream({ apiKey: "k", endpoint: `${endpoint}/ps/` }).batchUrl).toBe(`${endpoint}/ps/api/v1/ingestion/events/batch`);
	});
});

describe("capture", () => {
	it("assigns a UUID event_id, the capture time and the default source, keeps what was given", async () => {
		const { client, calls } = setup({ source: "checkout" });
		vi.setSystemTime(new Date("2026-11-23T10:00:00.000Z"));
		const original = { event_type: "custom", payload: { a: 1 } };
		expect(client.capture(original)).toBe(true);
		expect(client.capture({ event_type: "error", event_id: "mine", timestamp: 5, source: "billing" })).toBe(true);
		original.payload.a = 2; // a later change by the caller does not alter what was captured
		await client.flush();
		expect(calls).toHaveLength(1);
		const [first, second] = calls[0]!.body.events;
		expect(first!.event_id).toMatch(UUID);
		expect(first).toMatchObject({ event_type: "custom", timestamp: "2026-11-23T10:00:00.000Z", source: "checkout", payload: { a: 1 } });
		expect(second).toEqual({ event_type: "error", event_id: "mine", timestamp: 5, source: "billing" });
		expect(original).not.toHaveProperty("event_id"); // the caller's object is not touched
		expect(calls[0]!.url).toBe(`${endpoint}/api/v1/ingestion/events/batch`);
		expect(calls[0]!.headers.get("x-api-key")).toBe("ps_key");
		expect(calls[0]!.headers.get("content-type")).toBe("application/json");
	});

	it("falls back to getRandomValues where randomUUID is missing (an insecure browser context)", async () => {
		Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
		try {
			const { client, calls } = setup();
			client.capture({ event_type: "custom" });
			client.capture({ event_type: "custom" });
			await client.flush();
			const [a, b] = calls[0]!.body.events;
			expect(a!.event_id).toMatch(UUID);
			expect(a!.event_id).not.toBe(b!.event_id);
		} finally {
			// @ts-expect-error restoring the prototype's method
			delete globalThis.crypto.randomUUID;
		}
		expect(typeof globalThis.crypto.randomUUID).toBe("function");
	});

	it("never throws: bad events go to onError and nothing is sent for them", async () => {
		const { client, errors, calls } = setup();
		const cyclic: Record<string, unknown> = { event_type: "custom" };
		cyclic.self = cyclic;
		const bad: unknown[] = [null, 42, "x", [], {}, { event_type: "" }, { event_type: 3 }, cyclic, { event_type: "custom", n: 10n }];
		for (const b of bad) expect(client.capture(b as never)).toBe(false);
		expect(errors.map((e) => e.reason)).toEqual(Array(bad.length).fill("invalid_event"));
		await client.flush();
		expect(calls).toHaveLength(0);
	});

	it("a throwing onError does not escape capture()", () => {
		const client = new PulseStream({ apiKey: "k", endpoint, fetch: fakeFetch().fetch, onError: () => { throw new Error("handler bug"); } });
		expect(client.capture({} as never)).toBe(false);
	});

	it("drops an event over 1 MiB with onError; one just under it is sent alone", async () => {
		const { client, errors, calls } = setup();
		const frame = JSON.stringify({ event_type: "custom", event_id: "big", timestamp: new Date().toISOString(), payload: { s: "" } }).length;
		expect(client.capture({ event_type: "custom", event_id: "huge", payload: { s: "x".repeat(1024 * 1024) } })).toBe(false);
		expect(errors[0]).toMatchObject({ reason: "event_too_large", events: [{ event_id: "huge" }] });
		// Exactly 1 MiB of JSON, made of 2-byte characters plus the ASCII frame: at the limit, accepted.
		const under = "é".repeat((1024 * 1024 - frame) / 2);
		expect(client.capture({ event_type: "custom", event_id: "big", timestamp: new Date().toISOString(), payload: { s: under } })).toBe(true);
		expect(client.capture({ event_type: "custom", event_id: "small" })).toBe(true);
		await client.flush();
		expect(calls.map((c) => c.body.events.map((e) => e.event_id))).toEqual([["big"], ["small"]]);
		expect(errors).toHaveLength(1);
	});

	it("bounds the queue: beyond maxQueueEvents new events are dropped with onError", async () => {
		const { client, errors, calls } = setup({ maxQueueEvents: 3, maxBatchEvents: 500 });
		for (let i = 0; i < 5; i++) client.capture({ event_type: "custom", event_id: `e${i}` });
		expect(errors.map((e) => [e.reason, e.events[0]!.event_id])).toEqual([["queue_full", "e3"], ["queue_full", "e4"]]);
		await client.flush();
		expect(calls[0]!.body.events.map((e) => e.event_id)).toEqual(["e0", "e1", "e2"]);
	});
});

describe("batching", () => {
	it("sends 1,200 events as 500 + 500 + 200, each full batch at once", async () => {
		const { client, calls } = setup();
		for (let i = 0; i < 1200; i++) client.capture({ event_type: "custom", event_id: `e${i}` });
		await vi.advanceTimersByTimeAsync(0);
		expect(calls.map((c) => c.body.events.length)).toEqual([500, 500]); // before any timer or flush()
		await client.flush();
		expect(calls.map((c) => c.body.events.length)).toEqual([500, 500, 200]);
		expect(new Set(calls.flatMap((c) => c.body.events.map((e) => e.event_id))).size).toBe(1200);
	});

	it("keeps each request under maxBatchBytes, measured in UTF-8", async () => {
		const { client, calls } = setup({ maxBatchBytes: 64 * 1024 });
		for (let i = 0; i < 100; i++) client.capture({ event_type: "custom", payload: { s: "€".repeat(1000) } });
		await client.flush();
		expect(calls.length).toBeGreaterThan(4); // ~3 KB each, 300 KB in all
		for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(64 * 1024);
		expect(calls.reduce((n, c) => n + c.body.events.length, 0)).toBe(100);
	});

	it("the 512 KiB default: 200 events of ~3 KB are two requests, each at most 512 KiB", async () => {
		const { client, calls } = setup();
		for (let i = 0; i < 200; i++) client.capture({ event_type: "custom", payload: { s: "€".repeat(1000) } });
		await client.flush();
		expect(calls).toHaveLength(2);
		for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(512 * 1024);
	});

	it("sends a partial batch after flushIntervalMs, and sets no timer while idle", async () => {
		const { client, calls } = setup({ flushIntervalMs: 1000 });
		expect(vi.getTimerCount()).toBe(0);
		client.capture({ event_type: "custom" });
		client.capture({ event_type: "custom" });
		expect(vi.getTimerCount()).toBe(1); // one timer for the batch, not one per event
		await vi.advanceTimersByTimeAsync(999);
		expect(calls).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1);
		expect(calls).toHaveLength(1);
		expect(calls[0]!.body.events).toHaveLength(2);
		expect(vi.getTimerCount()).toBe(0);
	});
});

describe("flush and shutdown", () => {
	it("flush() resolves only once the request is answered, and also waits for sends already under way", async () => {
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		const base = fakeFetch();
		// A slow transport: every answer waits on the gate.
		const slow = new PulseStream({
			apiKey: "k",
			endpoint,
			maxBatchEvents: 2,
			fetch: async (input, init) => {
				await gate;
				return base.fetch(input, init);
			},
		});
		slow.capture({ event_type: "custom" });
		slow.capture({ event_type: "custom" }); // a full batch: sent at once, in flight
		expect(slow.queued).toBe(0);
		let done = false;
		const flushed = slow.flush().then(() => (done = true));
		await vi.advanceTimersByTimeAsync(10);
		expect(done).toBe(false);
		release();
		await flushed;
		expect(base.calls).toHaveLength(1);
		const { client, calls } = setup();
		await expect(client.flush()).resolves.toBeUndefined(); // nothing queued: resolves at once
		expect(calls).toHaveLength(0);
	});

	it("in a browser, the page being hidden flushes what is queued", async () => {
		const listeners: Record<string, () => void> = {};
		const doc = { visibilityState: "visible", addEventListener: (type: string, f: () => void) => (listeners[type] = f) };
		(globalThis as { document?: unknown }).document = doc;
		try {
			const { client, calls } = setup({ flushIntervalMs: 60_000 });
			client.capture({ event_type: "user_action", event_id: "click" });
			listeners.visibilitychange!(); // still visible: nothing
			await vi.advanceTimersByTimeAsync(0);
			expect(calls).toHaveLength(0);
			doc.visibilityState = "hidden";
			listeners.visibilitychange!();
			await vi.advanceTimersByTimeAsync(0);
			expect(calls.map((c) => c.body.events.map((e) => e.event_id))).toEqual([["click"]]);
		} finally {
			delete (globalThis as { document?: unknown }).document;
		}
	});

	it("shutdown() sends what is queued, stops the timer, and refuses later captures", async () => {
		const { client, calls, errors } = setup();
		client.capture({ event_type: "custom", event_id: "before" });
		expect(vi.getTimerCount()).toBe(1);
		await client.shutdown();
		expect(vi.getTimerCount()).toBe(0);
		expect(calls[0]!.body.events.map((e) => e.event_id)).toEqual(["before"]);
		expect(client.capture({ event_type: "custom", event_id: "after" })).toBe(false);
		expect(errors).toMatchObject([{ reason: "shut_down", events: [{ event_id: "after" }] }]);
		await client.shutdown(); // twice is fine
		expect(calls).toHaveLength(1);
	});
});
