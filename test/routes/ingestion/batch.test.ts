import { beforeAll, describe, expect, it } from "vitest";
import {
	call,
	countEvents,
	errorOf,
	flush,
	inFreshWindow,
	ingestBatch,
	keyHeader,
	patchTenant,
	postJson,
	type Registered,
	registerTenant,
} from "../../helpers";

const URL = "/api/v1/ingestion/events/batch";
type BatchBody = {
	accepted: number;
	duplicates: number;
	rejected: number;
	rate_limited: number;
	results: { index: number; event_id: string | null; status: string; errors?: { path: string; message: string }[] }[];
};

let t: Registered;
beforeAll(async () => {
	t = await registerTenant();
});

describe("POST /ingestion/events/batch", () => {
	it("keeps valid events when others are invalid, with per-item results in order", async () => {
		const tenant = await registerTenant();
		const res = await ingestBatch(tenant, [
			{ event_id: "b-1", event_type: "api_call", status_code: 200, response_time_ms: 5 },
			{ event_id: "b-2", event_type: "api_call", status_code: "500" },
			42,
			null,
			["array"],
			{ event_id: "b-1", event_type: "custom" },
			{ event_type: "user_action", user_id: "u" },
		]);
		expect(res.status).toBe(200);
		expect(res.headers.get("X-RateLimit-Limit")).toBe("10000");
		const body = await res.json<BatchBody>();
		expect(body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 4, rate_limited: 0 });
		expect(body.results.map((r) => r.status)).toEqual([
			"accepted",
			"rejected",
			"rejected",
			"rejected",
			"rejected",
			"duplicate",
			"accepted",
		]);
		expect(body.results[1]).toEqual({
			index: 1,
			event_id: "b-2",
			status: "rejected",
			errors: [{ path: "events.1.status_code", message: expect.any(String) }],
		});
		expect(body.results[2]!.errors![0]!.path).toBe("events.2");
		expect(body.results[6]!.event_id).toBeTruthy();
		await flush(tenant.tenant.id);
		expect(await countEvents(tenant.tenant.id)).toBe(2);
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(tenant) })).json();
		expect(stats).toMatchObject({ total_events: 2, duplicates: 1, rejected: 4 });
	});

	it("retrying the same batch is safe: everything comes back duplicate, nothing is stored twice", async () => {
		const tenant = await registerTenant();
		const events = Array.from({ length: 20 }, (_, i) => ({ event_id: `retry-${i}`, event_type: "custom" }));
		expect((await (await ingestBatch(tenant, events)).json<BatchBody>()).accepted).toBe(20);
		const again = await (await ingestBatch(tenant, events)).json<BatchBody>();
		expect(again).toMatchObject({ accepted: 0, duplicates: 20 });
		await flush(tenant.tenant.id);
		expect(await countEvents(tenant.tenant.id)).toBe(20);
	});

	it("accepts exactly 1,000 events", async () => {
		const events = Array.from({ length: 1000 }, () => ({ event_type: "custom" }));
		const body = await (await ingestBatch(t, events)).json<BatchBody>();
		expect(body.accepted).toBe(1000);
		expect(body.results).toHaveLength(1000);
	});

	it("422 as a whole for 1,001 events, an empty list, or a body that is not {events: [...]}", async () => {
		for (const body of [
			{ events: Array.from({ length: 1001 }, () => ({ event_type: "custom" })) },
			{ events: [] },
			{ events: { 0: { event_type: "custom" } } },
			{ event: [{ event_type: "custom" }] },
			[{ event_type: "custom" }],
			"string",
		]) {
			const res = await postJson(URL, JSON.stringify(body), keyHeader(t));
			expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(422);
			const error = await errorOf(res);
			expect(error.code).toBe("VALIDATION_ERROR");
			expect(error.details![0]!.path).toBe("events");
		}
	});

	it("413 for a body over 5 MiB, and for one oversize event with its index", async () => {
		const big = await postJson(
			URL,
			{ events: Array.from({ length: 6 }, () => ({ event_type: "custom", payload: { b: "x".repeat(1024 * 1024 - 100) } })) },
			keyHeader(t),
		);
		expect(big.status).toBe(413);
		expect((await errorOf(big)).message).toContain(String(5 * 1024 * 1024));

		const res = await postJson(
			URL,
			{ events: [{ event_type: "custom" }, { event_type: "custom" }, { event_type: "custom", payload: { b: "y".repeat(1024 * 1024 + 10) } }] },
			keyHeader(t),
		);
		expect(res.status).toBe(413);
		const error = await errorOf(res);
		expect(error.code).toBe("PAYLOAD_TOO_LARGE");
		expect(error.message).toContain(String(1024 * 1024));
		expect(error.details).toEqual([{ path: "events.2", message: expect.any(String) }]);
	});

	it("400 for malformed JSON and 415 for another content type, 401 without a key", async () => {
		expect((await postJson(URL, '{"events": [', keyHeader(t))).status).toBe(400);
		const wrongType = await call(URL, { method: "POST", headers: { ...keyHeader(t), "Content-Type": "text/csv" }, body: "a,b" });
		expect(wrongType.status).toBe(415);
		expect((await postJson(URL, { events: [{ event_type: "custom" }] })).status).toBe(401);
	});

	it("over the rate limit: the events that fit are accepted in order, the rest rate_limited; 429 when none fit", async () => {
		const tenant = await registerTenant();
		expect((await patchTenant(tenant, { rate_limit_per_minute: 5 })).status).toBe(200);
		const events = Array.from({ length: 8 }, (_, i) => ({ event_id: `rl-${i}`, event_type: "custom" }));
		await inFreshWindow();
		const res = await ingestBatch(tenant, events);
		expect(res.status).toBe(200);
		const body = await res.json<BatchBody>();
		expect(body.results.map((r) => r.status)).toEqual([
			...Array(5).fill("accepted"),
			...Array(3).fill("rate_limited"),
		]);
		expect(res.headers.get("X-RateLimit-Remaining")).toBe("0");
		const none = await ingestBatch(tenant, [{ event_type: "custom" }]);
		expect(none.status).toBe(429);
		expect(none.headers.get("X-RateLimit-Limit")).toBe("5");
		expect((await errorOf(none)).code).toBe("RATE_LIMITED");
		expect(Number(none.headers.get("Retry-After"))).toBeGreaterThan(0);
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(tenant) })).json();
		expect(stats).toMatchObject({ total_events: 5, rate_limited: 4, rate_limit_per_minute: 5 });
	});

	it("deeply nested items in a batch over 1 MiB: a deep payload is rejected, a deep unknown field dropped (never a 500)", async () => {
		const tenant = await registerTenant();
		const nest = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
		const items = [
			`{"event_id":"big","event_type":"custom","payload":{"b":"${"x".repeat(300_000)}"}}`,
			`{"event_id":"deep-payload","event_type":"custom","payload":{"a":${nest(200_000)}}}`,
			`{"event_id":"deep-unknown","event_type":"custom","x":${nest(200_000)}}`,
		];
		const body = `{"events":[${items.join(",")}]}`;
		expect(body.length).toBeGreaterThan(1024 * 1024);
		const res = await postJson(URL, body, keyHeader(tenant));
		expect(res.status).toBe(200);
		const result = await res.json<BatchBody>();
		expect(result.results.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
		expect(result.results[1]!.errors![0]!.path).toBe("events.1.payload");
	});

	it("a batch refused as a whole counts each of its events as rejected", async () => {
		const tenant = await registerTenant();
		await postJson(URL, { events: Array.from({ length: 1001 }, () => ({ event_type: "custom" })) }, keyHeader(tenant));
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(tenant) })).json();
		expect(stats).toMatchObject({ rejected: 1001, total_events: 0 });
	});

	it("over the limit with duplicates or rejections in the batch: 200 with per-item results, not 429", async () => {
		const tenant = await registerTenant();
		expect((await patchTenant(tenant, { rate_limit_per_minute: 1 })).status).toBe(200);
		await inFreshWindow();
		expect((await ingestBatch(tenant, [{ event_id: "seen", event_type: "custom" }])).status).toBe(200);
		const res = await ingestBatch(tenant, [{ event_id: "seen", event_type: "custom" }, { event_type: "bad" }, { event_type: "custom" }]);
		expect(res.status).toBe(200);
		expect((await res.json<BatchBody>()).results.map((r) => r.status)).toEqual(["duplicate", "rejected", "rate_limited"]);
	});
});
