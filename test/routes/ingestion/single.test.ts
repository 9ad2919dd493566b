import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
	call,
	countEvents,
	errorOf,
	flush,
	ingest,
	keyHeader,
	type Registered,
	registerTenant,
	tenantObject,
} from "../../helpers";

const URL = "/api/v1/ingestion/events";
const apiCall = { event_type: "api_call", endpoint: "/v1/orders/{id}", method: "GET", status_code: 200, response_time_ms: 12.5 };

let t: Registered;
beforeAll(async () => {
	t = await registerTenant();
});

describe("POST /ingestion/events: happy path", () => {
	it("accepts an event with 202, rate-limit headers and a generated event_id", async () => {
		const res = await ingest(t, apiCall);
		expect(res.status).toBe(202);
		const body = await res.json<{ event_id: string; status: string }>();
		expect(body.status).toBe("accepted");
		expect(body.event_id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
		expect(res.headers.get("X-RateLimit-Limit")).toBe("10000");
		expect(Number(res.headers.get("X-RateLimit-Remaining"))).toBeLessThan(10000);
		const reset = Number(res.headers.get("X-RateLimit-Reset"));
		expect(reset).toBeGreaterThanOrEqual(1);
		expect(reset).toBeLessThanOrEqual(60);
	});

	it("answers the same event_id again with 200 duplicate and stores it once", async () => {
		const id = `dup-${crypto.randomUUID()}`;
		expect((await ingest(t, { ...apiCall, event_id: id })).status).toBe(202);
		const again = await ingest(t, { ...apiCall, event_id: id, status_code: 500 });
		expect(again.status).toBe(200);
		expect(await again.json()).toEqual({ event_id: id, status: "duplicate" });
		await flush(t.tenant.id);
		const row = await env.DB.prepare("SELECT status_code FROM events WHERE tenant_id = ? AND event_id = ?")
			.bind(t.tenant.id, id)
			.all();
		expect(row.results).toEqual([{ status_code: 200 }]);
	});

	it("stores every field, times in UTC (offsets and epoch ms), and defaults severity", async () => {
		const id = `full-${crypto.randomUUID()}`;
		const event = {
			event_id: id,
			event_type: "error",
			timestamp: "2026-01-02T10:00:00.5+05:00",
			source: "checkout",
			endpoint: "/v1/pay",
			method: "POST",
			status_code: 502,
			response_time_ms: 0,
			user_id: "u1",
			session_id: "s1",
			payload: { nested: { list: [1, { a: true }] } },
			tags: { region: "eu", version: 3, canary: true },
			unknown_field: { weird: ["shape"] },
		};
		expect((await ingest(t, event)).status).toBe(202);
		const epochId = `epoch-${crypto.randomUUID()}`;
		expect((await ingest(t, { event_id: epochId, event_type: "custom", timestamp: 1767225600000.75 })).status).toBe(202);
		await flush(t.tenant.id);
		const read = await call(`/api/v1/ingestion/events/${id}`, { headers: keyHeader(t) });
		expect(read.status).toBe(200);
		const stored = await read.json<Record<string, unknown>>();
		expect(stored).toMatchObject({
			event_id: id,
			event_type: "error",
			timestamp: "2026-01-02T05:00:00.500Z",
			source: "checkout",
			severity: "error",
			endpoint: "/v1/pay",
			method: "POST",
			status_code: 502,
			response_time_ms: 0,
			user_id: "u1",
			session_id: "s1",
			payload: event.payload,
			tags: event.tags,
		});
		expect(stored).not.toHaveProperty("unknown_field");
		expect(typeof stored.received_at).toBe("string");
		const epoch = await call(`/api/v1/ingestion/events/${epochId}`, { headers: keyHeader(t) });
		expect(await epoch.json()).toMatchObject({ timestamp: "2026-01-01T00:00:00.000Z", severity: "info" });
	});

	it("ignores __proto__ and other unknown fields without letting them change known ones", async () => {
		const id = `proto-${crypto.randomUUID()}`;
		const res = await ingest(
			t,
			`{"event_id":"${id}","event_type":"custom","__proto__":{"event_type":"error","severity":"critical"},"constructor":{"prototype":{"x":1}}}`,
		);
		expect(res.status).toBe(202);
		await flush(t.tenant.id);
		const row = await env.DB.prepare("SELECT event_type, severity FROM events WHERE tenant_id = ? AND event_id = ?")
			.bind(t.tenant.id, id)
			.first();
		expect(row).toEqual({ event_type: "custom", severity: "info" });
	});
});

describe("POST /ingestion/events: bad input", () => {
	async function expectError(res: Response, status: number, code: string) {
		expect(res.status).toBe(status);
		const error = await errorOf(res);
		expect(error.code).toBe(code);
		expect(error.request_id).toBe(res.headers.get("X-Request-Id"));
		expect(JSON.stringify(error)).not.toMatch(/at .*\.ts|SQLITE|stack/i);
		return error;
	}

	it("401 without a key, with a garbled key, two keys, or a well-formed unknown key", async () => {
		const body = JSON.stringify(apiCall);
		const headers = (extra: Record<string, string>) => ({ "Content-Type": "application/json", ...extra });
		await expectError(await call(URL, { method: "POST", headers: headers({}), body }), 401, "UNAUTHORIZED");
		await expectError(await call(URL, { method: "POST", headers: headers({ "X-API-Key": "garbage" }), body }), 401, "UNAUTHORIZED");
		const two = new Headers(headers({}));
		two.append("X-API-Key", t.api_key.key);
		two.append("X-API-Key", t.api_key.key);
		await expectError(await call(URL, { method: "POST", headers: two, body }), 401, "UNAUTHORIZED");
		await expectError(
			await call(URL, { method: "POST", headers: headers({ "X-API-Key": `${t.api_key.key.slice(0, -4)}AAAA` }), body }),
			401,
			"UNAUTHORIZED",
		);
		const stranger = `ps_${"0".repeat(32)}_${"A".repeat(43)}`;
		await expectError(await call(URL, { method: "POST", headers: headers({ "X-API-Key": stranger }), body }), 401, "UNAUTHORIZED");
	});

	it("a revoked key is refused on the very next request, and nothing it sent earlier is lost", async () => {
		const other = await registerTenant();
		const id = `before-revoke-${crypto.randomUUID()}`;
		expect((await ingest(other, { ...apiCall, event_id: id })).status).toBe(202);
		expect(await tenantObject(other.tenant.id).revokeKey(other.tenant.id, other.api_key.id)).toBe(true);
		await expectError(await ingest(other, apiCall), 401, "UNAUTHORIZED");
		await flush(other.tenant.id);
		expect(await countEvents(other.tenant.id)).toBe(1);
	});

	it("415 for another content type, 400 for malformed JSON", async () => {
		await expectError(
			await call(URL, { method: "POST", headers: { ...keyHeader(t), "Content-Type": "text/plain" }, body: JSON.stringify(apiCall) }),
			415,
			"UNSUPPORTED_MEDIA_TYPE",
		);
		await expectError(await ingest(t, '{"event_type": "api_call",'), 400, "INVALID_JSON");
		await expectError(await ingest(t, ""), 400, "INVALID_JSON");
	});

	it("413 over 1 MiB, with the limit in bytes", async () => {
		const res = await ingest(t, { ...apiCall, payload: { blob: "x".repeat(1024 * 1024) } });
		const error = await expectError(res, 413, "PAYLOAD_TOO_LARGE");
		expect(error.message).toContain("1048576");
	});

	it("a streamed body without Content-Length is read up to the limit: small is accepted, large is 413", async () => {
		const stream = (text: string, chunk = 64 * 1024) => {
			const bytes = new TextEncoder().encode(text);
			let offset = 0;
			return new ReadableStream<Uint8Array>({
				pull(controller) {
					if (offset >= bytes.byteLength) return controller.close();
					controller.enqueue(bytes.slice(offset, offset + chunk));
					offset += chunk;
				},
			});
		};
		const send = (text: string) => {
			const req = new Request(`https://pulsestream.test${URL}`, {
				method: "POST",
				headers: { ...keyHeader(t), "Content-Type": "application/json" },
				body: stream(text),
			});
			expect(req.headers.get("content-length")).toBeNull();
			return call(URL, req);
		};
		expect((await send(JSON.stringify(apiCall))).status).toBe(202);
		const big = await send(JSON.stringify({ ...apiCall, payload: { blob: "x".repeat(1024 * 1024) } }));
		await expectError(big, 413, "PAYLOAD_TOO_LARGE");
	});

	it("422 names each bad field: no coercion, ranges, enums, lengths", async () => {
		const res = await ingest(t, {
			event_id: "has spaces!",
			event_type: "click",
			status_code: "200",
			response_time_ms: -1,
			method: "get",
			endpoint: "e".repeat(513),
			source: 5,
			tags: { nested: { no: 1 } },
			payload: [1, 2],
		});
		const error = await expectError(res, 422, "VALIDATION_ERROR");
		const paths = error.details!.map((d) => d.path).sort();
		expect(paths).toEqual(
			["endpoint", "event_id", "event_type", "method", "payload", "response_time_ms", "source", "status_code", "tags.nested"].sort(),
		);
	});

	it("422 for status codes out of range or not integers, and for non-objects", async () => {
		for (const status_code of [99, 600, 200.5]) {
			const error = await expectError(await ingest(t, { event_type: "api_call", status_code }), 422, "VALIDATION_ERROR");
			expect(error.details![0]!.path).toBe("status_code");
		}
		for (const body of ["[]", "42", '"event"', "null"]) {
			await expectError(await ingest(t, body), 422, "VALIDATION_ERROR");
		}
	});

	it("422 for a timestamp more than 5 minutes ahead or not ISO-8601", async () => {
		const future = new Date(Date.now() + 6 * 60_000).toISOString();
		const error = await expectError(await ingest(t, { event_type: "custom", timestamp: future }), 422, "VALIDATION_ERROR");
		expect(error.details).toEqual([{ path: "timestamp", message: expect.stringContaining("future") }]);
		for (const timestamp of ['"yesterday"', '"2026-02-31T00:00:00Z"', '"March 7 2026"', "-5", "1e999", "true"]) {
			const e = await expectError(await ingest(t, `{"event_type":"custom","timestamp":${timestamp}}`), 422, "VALIDATION_ERROR");
			expect(e.details![0]!.path).toBe("timestamp");
		}
		// Infinity as a latency is refused too (JSON can spell it 1e999).
		const rt = await expectError(await ingest(t, '{"event_type":"api_call","response_time_ms":1e999}'), 422, "VALIDATION_ERROR");
		expect(rt.details![0]!.path).toBe("response_time_ms");
		// A timestamp a little ahead (clock skew) is fine.
		expect((await ingest(t, { event_type: "custom", timestamp: Date.now() + 60_000 })).status).toBe(202);
	});

	it("422 for a deeply nested payload (never a 500)", async () => {
		const deep = `{"event_type":"custom","payload":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`;
		const error = await expectError(await ingest(t, deep), 422, "VALIDATION_ERROR");
		expect(error.details![0]!.path).toBe("payload");
		const deepArrays = `{"event_type":"custom","payload":{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
		await expectError(await ingest(t, deepArrays), 422, "VALIDATION_ERROR");
	});

	it("counts refused events in stats.rejected", async () => {
		const fresh = await registerTenant();
		await ingest(fresh, { event_type: "nope" });
		await ingest(fresh, "{bad json");
		await ingest(fresh, apiCall);
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(fresh) })).json();
		expect(stats).toMatchObject({ total_events: 1, rejected: 2 });
	});

	it("accepts every ISO-8601 form: basic, week and ordinal dates, 24:00, offsets without colon", async () => {
		const cases: [string, string][] = [
			["20261120T100000Z", "2026-11-20T10:00:00.000Z"],
			["2026-W47-5", "2026-11-20T00:00:00.000Z"],
			["2026-324", "2026-11-20T00:00:00.000Z"],
			["2026-11-20T24:00:00Z", "2026-11-21T00:00:00.000Z"],
			["2026-11-20T10:00:00+0530", "2026-11-20T04:30:00.000Z"],
			["2026-11-20T10+05", "2026-11-20T05:00:00.000Z"],
			["2026-11-20 10:00:00.123456", "2026-11-20T10:00:00.123Z"],
		];
		for (const [i, [timestamp, utc]] of cases.entries()) {
			const id = `iso-${i}-${crypto.randomUUID()}`;
			expect((await ingest(t, { event_id: id, event_type: "custom", timestamp })).status, timestamp).toBe(202);
			await flush(t.tenant.id);
			const stored = await (await call(`/api/v1/ingestion/events/${id}`, { headers: keyHeader(t) })).json<{ timestamp: string }>();
			expect(stored.timestamp, timestamp).toBe(utc);
		}
	});

	it("an event close to 1 MiB full of characters JSON escapes round-trips intact", async () => {
		const id = `escapes-${crypto.randomUUID()}`;
		const text = '"\\'.repeat(170_000); // 510k characters that each need escaping: ~1.02 MB of JSON
		const body = JSON.stringify({ event_id: id, event_type: "custom", payload: { text }, tags: { quote: '"' } });
		expect(new TextEncoder().encode(body).byteLength).toBeLessThan(1024 * 1024);
		expect((await ingest(t, body)).status).toBe(202);
		await flush(t.tenant.id);
		const stored = await (await call(`/api/v1/ingestion/events/${id}`, { headers: keyHeader(t) })).json<{ payload: { text: string }; tags: unknown }>();
		expect(stored.payload.text).toBe(text);
		expect(stored.tags).toEqual({ quote: '"' });
	});
});
