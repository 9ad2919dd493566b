import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PulseStream, type PulseStreamError } from "../src/index.js";
import { backoffMs, serverWaitMs } from "../src/retry.js";
import { batchAnswer, errorBody, fakeFetch, json } from "./fake-fetch.js";

const endpoint = "https://ps.example.test";

function setup(options: Partial<ConstructorParameters<typeof PulseStream>[0]> = {}) {
	const transport = fakeFetch();
	const errors: PulseStreamError[] = [];
	const client = new PulseStream({ apiKey: "ps_key", endpoint, fetch: transport.fetch, onError: (e) => errors.push(e), ...options });
	return { client, errors, ...transport };
}
const ids = (call: { body: { events: { event_id?: string }[] } }) => call.body.events.map((e) => e.event_id);

let t0: number;
beforeEach(() => {
	vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
	t0 = Date.now();
});
afterEach(() => {
	vi.useRealTimers();
	vi.restoreAllMocks();
});

describe("backoff", () => {
	it("full jitter under a doubling ceiling, with a floor and a cap", () => {
		expect(backoffMs(0, () => 0)).toBe(100); // the floor: never a tight loop
		expect(backoffMs(0, () => 0.999)).toBe(499);
		expect(backoffMs(1, () => 0.999)).toBe(999);
		expect(backoffMs(3, () => 0.999)).toBe(3996);
		expect(backoffMs(30, () => 0.999)).toBe(9990); // capped at 10 s
	});

	it("reads Retry-After as seconds or an HTTP date, and X-RateLimit-Reset only when asked", () => {
		const now = Date.parse("2026-11-23T10:00:00Z");
		expect(serverWaitMs(new Headers({ "Retry-After": "7" }), now, false)).toBe(7000);
		expect(serverWaitMs(new Headers({ "Retry-After": "Mon, 23 Nov 2026 10:00:30 GMT" }), now, false)).toBe(30_000);
		expect(serverWaitMs(new Headers({ "Retry-After": "soon" }), now, false)).toBeUndefined();
		expect(serverWaitMs(new Headers({ "X-RateLimit-Reset": "12" }), now, false)).toBeUndefined();
		expect(serverWaitMs(new Headers({ "X-RateLimit-Reset": "12" }), now, true)).toBe(12_000);
		expect(serverWaitMs(new Headers(), now, true)).toBeUndefined();
	});
});

describe("retries", () => {
	it("a 429 waits for Retry-After before the retry, which sends the same event_ids", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { client, calls, answers, errors } = setup();
		answers.push(json(errorBody("RATE_LIMITED"), 429, { "Retry-After": "3" }));
		client.capture({ event_type: "custom" });
		client.capture({ event_type: "custom" });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(2999);
		expect(calls).toHaveLength(1); // not before the server said
		await vi.advanceTimersByTimeAsync(1);
		await done;
		expect(calls).toHaveLength(2);
		expect(calls[1]!.at - calls[0]!.at).toBe(3000);
		expect(ids(calls[1]!)).toEqual(ids(calls[0]!));
		expect(calls[1]!.body).toEqual(calls[0]!.body); // byte-for-byte the same events (timestamps too)
		expect(errors).toEqual([]);
	});

	it("503s and network errors back off with growing waits, then succeed", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0.999);
		const { client, calls, answers, errors } = setup();
		answers.push(json(errorBody("INTERNAL"), 503), new TypeError("fetch failed"), json(errorBody("INTERNAL"), 502), new TypeError("socket hang up"));
		client.capture({ event_type: "custom", event_id: "e1" });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(10_000);
		await done;
		expect(calls).toHaveLength(5);
		const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
		expect(gaps).toEqual([499, 999, 1998, 3996]);
		expect(calls.every((c) => ids(c)[0] === "e1")).toBe(true);
		expect(errors).toEqual([]);
	});

	it("a 5xx with Retry-After honours it", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { client, calls, answers } = setup();
		answers.push(json(errorBody("INTERNAL"), 503, { "Retry-After": "5" }));
		client.capture({ event_type: "custom" });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(5000);
		await done;
		expect(calls.map((c) => c.at - t0)).toEqual([0, 5000]);
	});

	it("gives up within maxRetryMs: onError names the dropped events and the last status", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0.999);
		const tracked = fakeFetch(() => json(errorBody("INTERNAL"), 500));
		const { client, errors } = setup({ maxRetryMs: 5000, fetch: tracked.fetch });
		client.capture({ event_type: "custom", event_id: "lost-1" });
		client.capture({ event_type: "custom", event_id: "lost-2" });
		let finished = false;
		const done = client.flush().then(() => (finished = true));
		await vi.advanceTimersByTimeAsync(60_000);
		await done;
		expect(finished).toBe(true);
		// 0, 499, 1498, 3496; the next wait (3,996 ms) would end past 5,000 ms, so it stops there.
		expect(tracked.calls.map((c) => c.at - t0)).toEqual([0, 499, 1498, 3496]);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatchObject({ reason: "retries_exhausted", status: 500, code: "INTERNAL" });
		expect(errors[0]!.events.map((e) => e.event_id)).toEqual(["lost-1", "lost-2"]);
		expect(errors[0]!.message).not.toContain("ps_key");
		expect(client.queued).toBe(0);
	});

	it("a Retry-After past the budget is not waited for: onError at once", async () => {
		const { client, calls, answers, errors } = setup({ maxRetryMs: 10_000 });
		answers.push(json(errorBody("RATE_LIMITED"), 429, { "Retry-After": "60" }));
		client.capture({ event_type: "custom" });
		await client.flush();
		expect(calls).toHaveLength(1);
		expect(errors[0]).toMatchObject({ reason: "retries_exhausted", status: 429, code: "RATE_LIMITED" });
		expect(Date.now() - t0).toBe(0);
	});

	for (const [status, code] of [
		[400, "INVALID_JSON"],
		[401, "UNAUTHORIZED"],
		[403, "FORBIDDEN"],
		[413, "PAYLOAD_TOO_LARGE"],
		[422, "VALIDATION_ERROR"],
	] as const) {
		it(`a ${status} is not retried: onError with the status, the code and the events`, async () => {
			const { client, calls, answers, errors } = setup();
			answers.push(json(errorBody(code, "the server's message"), status));
			client.capture({ event_type: "custom", event_id: "x" });
			const done = client.flush();
			await vi.advanceTimersByTimeAsync(60_000);
			await done;
			expect(calls).toHaveLength(1);
			expect(errors).toHaveLength(1);
			expect(errors[0]).toMatchObject({ reason: "refused", status, code, events: [{ event_id: "x" }] });
			expect(errors[0]!.message).toContain("the server's message");
		});
	}

	it("a 200 with rate_limited items retries only those, after Retry-After, else X-RateLimit-Reset", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { client, calls, answers, errors } = setup();
		answers.push(
			(call) => batchAnswer(call, (_, i) => (i < 2 ? "accepted" : "rate_limited"), { "X-RateLimit-Reset": "4" }),
			(call) => batchAnswer(call, (_, i) => (i === 0 ? "duplicate" : "rate_limited"), { "Retry-After": "2", "X-RateLimit-Reset": "9" }),
		);
		for (const id of ["a", "b", "c", "d", "e"]) client.capture({ event_type: "custom", event_id: id });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(10_000);
		await done;
		expect(calls.map(ids)).toEqual([["a", "b", "c", "d", "e"], ["c", "d", "e"], ["d", "e"]]);
		expect(calls.map((c) => c.at - t0)).toEqual([0, 4000, 6000]);
		expect(errors).toEqual([]);
	});

	it("a 200 with rejected items reports them with their errors and does not retry them", async () => {
		const { client, calls, answers, errors } = setup();
		answers.push((call) => batchAnswer(call, (e) => (e.event_id === "bad" ? "rejected" : "accepted")));
		client.capture({ event_type: "custom", event_id: "good" });
		client.capture({ event_type: "api_call", event_id: "bad", status_code: "200" as never });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(60_000);
		await done;
		expect(calls).toHaveLength(1);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatchObject({
			reason: "rejected",
			status: 200,
			events: [{ event_id: "bad" }],
			details: [{ event_id: "bad", errors: [{ path: "events.1.status_code", message: "expected an integer" }] }],
		});
	});

	it("a 200 whose body is not a batch answer is retried (the batch is idempotent)", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { client, calls, answers, errors } = setup();
		answers.push(new Response("<html>proxy</html>", { status: 200 }));
		client.capture({ event_type: "custom", event_id: "x" });
		const done = client.flush();
		await vi.advanceTimersByTimeAsync(1000);
		await done;
		expect(calls.map(ids)).toEqual([["x"], ["x"]]);
		expect(errors).toEqual([]);
	});

	it("events captured while a batch is being retried are sent too, and flush waits for both", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { client, calls, answers } = setup();
		answers.push(json(errorBody("RATE_LIMITED"), 429, { "Retry-After": "2" }));
		client.capture({ event_type: "custom", event_id: "first" });
		const first = client.flush();
		await vi.advanceTimersByTimeAsync(100);
		client.capture({ event_type: "custom", event_id: "second" });
		let done = false;
		const both = client.flush().then(() => (done = true));
		await vi.advanceTimersByTimeAsync(100);
		expect(calls.map(ids)).toEqual([["first"], ["second"]]);
		expect(done).toBe(false); // "first" is still waiting for its retry
		await vi.advanceTimersByTimeAsync(2000);
		await Promise.all([first, both]);
		expect(calls.map(ids)).toEqual([["first"], ["second"], ["first"]]);
	});
});
