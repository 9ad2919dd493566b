import { describe, expect, it } from "vitest";
import { registerTenant } from "../../helpers";
import { T0_NS, exportJson, exportTo, logPb, logsPb, spanPb, storedEvents, tracesPb } from "./otlp";

const T0 = new Date(Date.UTC(2026, 10, 23, 10)).toISOString();
const attrs = (a: Record<string, string | number>) =>
	Object.entries(a).map(([key, v]) => ({ key, value: typeof v === "string" ? { stringValue: v } : { intValue: v } }));

let n = 0;
/** An OTLP/JSON span of kind SERVER with these attributes; ids unique per call. */
function jsonSpan(a: Record<string, string | number>, extra: Record<string, unknown> = {}) {
	n++;
	return {
		traceId: `5b8efff798038103d269b633813fc6${n.toString(16).padStart(2, "0")}`,
		spanId: `eee19b7ec3c1b1${n.toString(16).padStart(2, "0")}`,
		name: "span",
		kind: 2,
		startTimeUnixNano: T0_NS.toString(),
		endTimeUnixNano: (T0_NS + 1_500_000n).toString(),
		attributes: attrs(a),
		...extra,
	};
}

const tracesJson = (spans: unknown[], resourceAttrs: unknown[] = attrs({ "service.name": "shop" })) => ({
	resourceSpans: [{ resource: { attributes: resourceAttrs }, scopeSpans: [{ scope: { name: "t" }, spans }] }],
});

describe("span mapping: every rule, old and new attribute names", () => {
	it("endpoint is http.route, else url.path, else http.target without its query; method and status new before old", async () => {
		const t = await registerTenant();
		const cases: [Record<string, string | number>, Record<string, unknown>][] = [
			[{ "http.route": "/users/{id}", "url.path": "/users/7", "http.target": "/x" }, { endpoint: "/users/{id}" }],
			[{ "url.path": "/users/7", "http.target": "/old?q=1" }, { endpoint: "/users/7" }],
			[{ "http.target": "/old/path?q=1&r=2#frag" }, { endpoint: "/old/path" }],
			[{ "http.target": "/hash#only" }, { endpoint: "/hash" }],
			[{}, { endpoint: null, method: null, status_code: null }],
			[{ "http.request.method": "PATCH", "http.method": "GET" }, { method: "PATCH" }],
			[{ "http.method": "put" }, { method: "PUT" }],
			[{ "http.request.method": "_OTHER" }, { method: null }],
			[{ "http.response.status_code": 204, "http.status_code": 500 }, { status_code: 204, severity: "info" }],
			[{ "http.status_code": 502 }, { status_code: 502, severity: "error" }],
			[{ "http.status_code": "404" }, { status_code: 404 }],
			[{ "http.response.status_code": 0 }, { status_code: null }],
		];
		const res = await exportJson("traces", t, tracesJson(cases.map(([a]) => jsonSpan(a))));
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({});
		const events = await storedEvents(t);
		expect(events).toHaveLength(cases.length);
		const byId = new Map(events.map((e) => [e.event_id, e]));
		let k = n - cases.length;
		for (const [, expected] of cases) {
			k++;
			const id = `5b8efff798038103d269b633813fc6${k.toString(16).padStart(2, "0")}-eee19b7ec3c1b1${k.toString(16).padStart(2, "0")}`;
			expect(byId.get(id), id).toMatchObject({ event_type: "api_call", source: "shop", timestamp: T0, response_time_ms: 1.5, ...expected });
		}
	});

	it("user_id is user.id, else enduser.id; session_id is session.id; other attributes are not kept", async () => {
		const t = await registerTenant();
		const a = jsonSpan({ "user.id": "u-new", "enduser.id": "u-old", "session.id": "s-1", "http.route": "/a", "app.cart": "big" });
		const b = jsonSpan({ "enduser.id": "u-old" });
		const c = jsonSpan({ "user.id": "x".repeat(300) });
		expect((await exportJson("traces", t, tracesJson([a, b, c]))).status).toBe(200);
		const events = await storedEvents(t);
		const byId = new Map(events.map((e) => [e.event_id.slice(0, 32), e]));
		expect(byId.get(a.traceId)).toMatchObject({ user_id: "u-new", session_id: "s-1", payload: null });
		expect(byId.get(b.traceId)).toMatchObject({ user_id: "u-old", session_id: null });
		expect(byId.get(c.traceId)!.user_id).toHaveLength(128);
	});

	it("severity is error for a span status ERROR (code 2 or its name) even with a 2xx; ids are stored lowercase", async () => {
		const t = await registerTenant();
		const a = jsonSpan({ "http.response.status_code": 200 }, { status: { code: 2, message: "boom" } });
		const b = jsonSpan({ "http.response.status_code": 200 }, { status: { code: "STATUS_CODE_ERROR" }, kind: "SPAN_KIND_SERVER" });
		const c = jsonSpan({}, { status: { code: 1 } });
		b.traceId = b.traceId.toUpperCase();
		const res = await exportJson("traces", t, tracesJson([a, b, c]));
		expect(res.status).toBe(200);
		const events = await storedEvents(t);
		expect(events.map((e) => e.severity).sort()).toEqual(["error", "error", "info"]);
		expect(events.every((e) => e.event_id === e.event_id.toLowerCase())).toBe(true);
	});

	it("only SERVER spans are events: INTERNAL, CLIENT, PRODUCER, CONSUMER and unspecified are skipped, not refused", async () => {
		const t = await registerTenant();
		const spans = [0, 1, 2, 3, 4, 5].map((kind) => spanPb({ kind, traceId: `0af7651916cd43dd8448eb211c8031${kind}0`, spanId: `b7ad6b716920333${kind}` }));
		const res = await exportTo("traces", t, tracesPb(spans));
		expect(res.status).toBe(200);
		expect(new Uint8Array(await res.arrayBuffer()).byteLength).toBe(0);
		const events = await storedEvents(t);
		expect(events.map((e) => e.event_id)).toEqual(["0af7651916cd43dd8448eb211c803120-b7ad6b7169203332"]);
	});

	it("a resource without service.name gives source null; a long one is cut to 128 characters; a long route to 512", async () => {
		const t = await registerTenant();
		await exportTo("traces", t, tracesPb([spanPb({ spanId: "0000000000000001" })], null));
		await exportTo("traces", t, tracesPb([spanPb({ spanId: "0000000000000002", attributes: { "http.route": `/${"r".repeat(600)}` } })], "s".repeat(200)));
		const events = await storedEvents(t);
		expect(events.map((e) => e.source?.length ?? null)).toEqual([null, 128]);
		expect(events[1]!.endpoint).toHaveLength(512);
	});

	it("response_time_ms is exact to the nanosecond; a zero-length span is 0 ms; the timestamp is the start", async () => {
		const t = await registerTenant();
		const start = T0_NS + 123_456_789n;
		await exportTo(
			"traces",
			t,
			tracesPb([
				spanPb({ spanId: "0000000000000001", start, end: start + 1n }),
				spanPb({ spanId: "0000000000000002", start, end: start }),
				spanPb({ spanId: "0000000000000003", start, end: start + 86_400_000_000_000n }),
			]),
		);
		const events = await storedEvents(t);
		expect(events.map((e) => e.response_time_ms)).toEqual([0.000001, 0, 86_400_000]);
		expect(events[0]!.timestamp).toBe("2026-11-23T10:00:00.123Z");
	});
});

describe("log mapping", () => {
	it("severity numbers map by range; >= 17 is an error event; unspecified takes the severity text", async () => {
		const t = await registerTenant();
		const numbers = [1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24];
		const records = numbers.map((severityNumber, i) => logPb({ severityNumber, body: `r${i}`, time: T0_NS + BigInt(i) * 1_000_000n }));
		records.push(logPb({ severityText: "WARNING", body: "text", time: T0_NS + 100_000_000n }));
		records.push(logPb({ body: "nothing", time: T0_NS + 101_000_000n }));
		const res = await exportTo("logs", t, logsPb(records));
		expect(res.status).toBe(200);
		const events = await storedEvents(t);
		expect(events.map((e) => [e.event_type, e.severity])).toEqual([
			["custom", "debug"],
			["custom", "debug"],
			["custom", "debug"],
			["custom", "debug"],
			["custom", "info"],
			["custom", "info"],
			["custom", "warning"],
			["custom", "warning"],
			["error", "error"],
			["error", "error"],
			["error", "critical"],
			["error", "critical"],
			["custom", "warning"],
			["custom", "info"],
		]);
	});

	it("timestamp is the record's time, else its observed time, else the time it arrived", async () => {
		const t = await registerTenant();
		const before = Date.now();
		await exportTo(
			"logs",
			t,
			logsPb([
				logPb({ body: "a", time: T0_NS, observed: T0_NS + 9_000_000n }),
				logPb({ body: "b", observed: T0_NS + 5_000_000n }),
				logPb({ body: "c" }),
			]),
		);
		const events = await storedEvents(t);
		const byBody = new Map(events.map((e) => [e.payload.body, e]));
		expect(byBody.get("a")!.timestamp).toBe(T0);
		expect(byBody.get("b")!.timestamp).toBe("2026-11-23T10:00:00.005Z");
		expect(Date.parse(byBody.get("c")!.timestamp)).toBeGreaterThanOrEqual(before - 1000);
	});

	it("every AnyValue kind in body and attributes; tags only when the record has ids; __proto__ kept as a key", async () => {
		const t = await registerTenant();
		const body = { s: "x", b: true, i: 9007199254740993n, small: -5n, d: 0.5, nan: Number.NaN, inf: -Infinity, arr: [1n, "two", [false]], bytes: new Uint8Array([255, 0]), kv: { deep: { deeper: "y" } } };
		await exportTo(
			"logs",
			t,
			logsPb([
				logPb({ body, attributes: { __proto__x: 1n }, time: T0_NS, traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" }),
				logPb({ body: "no ids", time: T0_NS + 1_000_000n }),
			]),
		);
		const raw = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: String(T0_NS + 2_000_000n), body: { kvlistValue: { values: [{ key: "__proto__", value: { stringValue: "own" } }] } } }] }] }] });
		expect((await exportTo("logs", t, raw, "application/json")).status).toBe(200);
		const [first, second, third] = await storedEvents(t);
		expect(first!.payload).toEqual({
			body: { s: "x", b: true, i: "9007199254740993", small: -5, d: 0.5, nan: "NaN", inf: "-Infinity", arr: [1, "two", [false]], bytes: "/wA=", kv: { deep: { deeper: "y" } } },
			attributes: { __proto__x: 1 },
		});
		expect(first!.tags).toEqual({ trace_id: "0af7651916cd43dd8448eb211c80319c", span_id: "b7ad6b7169203331" });
		expect(second!.tags).toBeNull();
		expect(second!.source).toBe("api");
		expect(Object.keys(third!.payload.body)).toEqual(["__proto__"]);
		expect(third!.payload.body.__proto__).toBe("own");
		expect(third!.source).toBeNull();
	});

	it("the same record twice in one export is one event (its content is its id); a changed attribute is another", async () => {
		const t = await registerTenant();
		const r = { body: "same", time: T0_NS, attributes: { k: "v" } };
		await exportTo("logs", t, logsPb([logPb(r), logPb(r), logPb({ ...r, attributes: { k: "w" } })]));
		expect(await storedEvents(t)).toHaveLength(2);
	});
});
