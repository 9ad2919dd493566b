import { describe, expect, it } from "vitest";
import { call, countEvents, flush, registerTenant } from "../../helpers";
import { Pb, T0_NS, exportJson, exportTo, fixtures, fromBase64, logPb, logsPb, readPb, spanPb, storedEvents, tracesPb } from "./otlp";

const decoder = new TextDecoder();
/** A protobuf google.rpc.Status: [code, message]. */
async function status(res: Response): Promise<[number, string]> {
	const m = readPb(new Uint8Array(await res.arrayBuffer()));
	return [(m.get(1)?.[0] as number) ?? 0, decoder.decode(m.get(2)?.[0] as Uint8Array)];
}
/** partialSuccess of a protobuf export response: [rejected, message]. */
async function partial(res: Response): Promise<[number, string]> {
	const outer = readPb(new Uint8Array(await res.arrayBuffer())).get(1)?.[0] as Uint8Array | undefined;
	if (!outer) return [0, ""];
	const m = readPb(outer);
	return [(m.get(1)?.[0] as number) ?? 0, decoder.decode(m.get(2)?.[0] as Uint8Array)];
}

const fixture = fromBase64(fixtures.traces.protobuf.body_base64);
const id = (n: number) => n.toString(16).padStart(16, "0");

describe("OTLP bodies that cannot be decoded are 400, with nothing stored", () => {
	const cases: [string, Uint8Array | string, string][] = [
		["garbage bytes", Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255), "application/x-protobuf"],
		["a truncated export", fixture.subarray(0, Math.floor(fixture.length / 2)), "application/x-protobuf"],
		["a varint that never ends", Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), "application/x-protobuf"],
		["a group (wire type 3)", new Pb().raw(1, 3, []).finish(), "application/x-protobuf"],
		["wire type 7", Uint8Array.from([0x0f, 0x00]), "application/x-protobuf"],
		["a length past the end inside a span", new Pb().message(1, new Pb().message(2, new Pb().raw(2, 2, [0x05, 0x0a, 0x10]))).finish(), "application/x-protobuf"],
		["field number 0", Uint8Array.from([0x02, 0x00]), "application/x-protobuf"],
	];
	for (const [name, body, type] of cases) {
		it(`${name}: 400 with a protobuf Status`, async () => {
			const t = await registerTenant();
			const res = await exportTo("traces", t, body, type);
			expect(res.status).toBe(400);
			expect(res.headers.get("content-type")).toBe("application/x-protobuf");
			const [code, message] = await status(res);
			expect(code).toBe(3);
			expect(message).toMatch(/^The body is not a valid ExportTraceServiceRequest: /);
			expect(await storedEvents(t)).toEqual([]);
		});
	}

	it("JSON that is not JSON, or of the wrong structure: 400 with a JSON Status that carries the error envelope", async () => {
		const t = await registerTenant();
		for (const [body, code] of [
			["{not json", "INVALID_JSON"],
			["[]", "INVALID_BODY"],
			['{"resourceSpans": {}}', "INVALID_BODY"],
			['{"resourceSpans": [1]}', "INVALID_BODY"],
			['{"resourceSpans": [{"scopeSpans": [{"spans": "x"}]}]}', "INVALID_BODY"],
			['{"resourceLogs": [{"resource": 5}]}', "INVALID_BODY"],
		] as const) {
			const res = await exportTo(body.includes("resourceLogs") ? "logs" : "traces", t, body, "application/json");
			expect(res.status, body).toBe(400);
			const json = (await res.json()) as { code: number; message: string; error: { code: string; request_id: string } };
			expect(json.code).toBe(3);
			expect(json.error.code).toBe(code);
			expect(json.error.request_id).toBe(res.headers.get("x-request-id"));
			expect(json.message).toBe((json.error as unknown as { message: string }).message);
		}
		expect(await storedEvents(t)).toEqual([]);
	});

	it("gzip that is not gzip is 400", async () => {
		const t = await registerTenant();
		const res = await exportTo("traces", t, fixture, "application/x-protobuf", { "Content-Encoding": "gzip" });
		expect(res.status).toBe(400);
		expect((await status(res))[1]).toBe("The body is not valid gzip.");
	});
});

describe("decodable exports with odd contents", () => {
	it("unknown fields of every wire type are skipped, at every level", async () => {
		const t = await registerTenant();
		const unknown = (m: Pb) => m.varint(99, 7).fixed64(98, 1n).raw(97, 5, [1, 2, 3, 4]).bytes(96, "x");
		const span = unknown(spanPb({}));
		const scope = unknown(new Pb()).message(2, span);
		const rs = unknown(new Pb()).message(2, scope);
		const res = await exportTo("traces", t, unknown(new Pb()).message(1, rs).finish());
		expect(res.status).toBe(200);
		expect((await storedEvents(t)).map((e) => e.event_id)).toEqual(["0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"]);
	});

	it("a known field with the wrong wire type is skipped like an unknown one", async () => {
		const t = await registerTenant();
		// kind sent as a string: the span has no kind, so it is not a SERVER span.
		const noKind = new Pb().bytes(1, fromBase64("CvdlGRbNQ92ESOshHIAxnA==")).bytes(2, fromBase64("t61rcWkgMzE=")).bytes(6, "2").fixed64(7, T0_NS).fixed64(8, T0_NS + 1n);
		// start time sent as a varint: the span has no start time, so it is refused.
		const noStart = new Pb().bytes(1, fromBase64("CvdlGRbNQ92ESOshHIAxnA==")).bytes(2, fromBase64("t61rcWkgMzI=")).varint(6, 2).varint(7, 5).fixed64(8, T0_NS);
		const res = await exportTo("traces", t, tracesPb([noKind, noStart]));
		expect(res.status).toBe(200);
		expect(await partial(res)).toEqual([1, "1 spans refused as invalid: resourceSpans[0].scopeSpans[0].spans[1]: the span has no start time"]);
		expect(await storedEvents(t)).toEqual([]);
	});

	it("ids of the wrong length, zero ids, spans that end before they start, times at the 64-bit extremes: refused one by one, the rest kept", async () => {
		const t = await registerTenant();
		const spans = [
			spanPb({ spanId: id(1) }),
			spanPb({ spanId: id(2), traceId: "0af7651916cd43dd8448eb211c8031" }),
			spanPb({ spanId: "b7ad6b71692033" }),
			spanPb({ spanId: id(4), traceId: "" }),
			spanPb({ spanId: "0000000000000000" }),
			spanPb({ spanId: id(6), start: T0_NS, end: T0_NS - 1n }),
			spanPb({ spanId: id(7), start: 0n, end: T0_NS }),
			spanPb({ spanId: id(8), start: 2n ** 64n - 1n, end: 2n ** 64n - 1n }),
			spanPb({ spanId: id(9), start: 1n, end: 2n ** 64n - 1n }),
			spanPb({ spanId: id(10), start: T0_NS, end: 0n }),
		];
		const res = await exportTo("traces", t, tracesPb(spans));
		expect(res.status).toBe(200);
		const [rejected, message] = await partial(res);
		expect(rejected).toBe(8);
		const at = (i: number) => `resourceSpans[0].scopeSpans[0].spans[${i}]`;
		expect(message).toBe(
			`8 spans refused as invalid: ${at(1)}: trace_id is 15 bytes, expected 16; ${at(2)}: span_id is 7 bytes, expected 8; ` +
				`${at(3)}: trace_id is 0 bytes, expected 16; ${at(4)}: span_id is all zeros; ${at(5)}: the span ends before it starts; and 3 more`,
		);
		const events = await storedEvents(t);
		expect(events.map((e) => [e.event_id.slice(-2), e.timestamp, e.response_time_ms])).toEqual([
			["09", "1970-01-01T00:00:00.000Z", Number(2n ** 64n - 2n) / 1e6],
			["01", "2026-11-23T10:00:00.000Z", 5],
		]);
		// Every refused span is counted in stats, as a refused batch item is.
		const stats = (await (await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": t.api_key.key } })).json()) as { rejected: number };
		expect(stats.rejected).toBe(8);
	});

	it("the same checks in OTLP/JSON, and values of the wrong type in one record refuse only that record", async () => {
		const t = await registerTenant();
		const span = (spanId: string, extra: Record<string, unknown> = {}) => ({
			traceId: "0af7651916cd43dd8448eb211c80319c",
			spanId,
			kind: 2,
			startTimeUnixNano: String(T0_NS),
			endTimeUnixNano: String(T0_NS + 1000n),
			...extra,
		});
		const res = await exportJson("traces", t, {
			resourceSpans: [
				{
					scopeSpans: [
						{
							spans: [
								span(id(1)),
								span("not-hex-at-all!!"),
								span(id(3), { startTimeUnixNano: "-5" }),
								span(id(4), { startTimeUnixNano: "18446744073709551616" }),
								span(id(5), { kind: "SPAN_KIND_NOPE" }),
								span(id(6), { attributes: [{ key: "http.status_code", value: { intValue: "1.5" } }] }),
								span(id(7), { attributes: [{ key: "http.route", value: { bytesValue: "***" } }, { key: "other", value: { intValue: "x" } }] }),
								span(id(9), { attributes: [{ key: "not.read", value: { intValue: "not a number" } }] }),
								span(id(8), { startTimeUnixNano: Number(T0_NS), endTimeUnixNano: Number(T0_NS) }),
							],
						},
					],
				},
			],
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
		expect(body.partialSuccess.rejectedSpans).toBe("6");
		expect(body.partialSuccess.errorMessage).toContain("spans[1]: spanId is not hex");
		expect(body.partialSuccess.errorMessage).toContain("spans[3]: startTimeUnixNano is not an unsigned 64-bit integer");
		// An attribute the mapping does not read is never looked at, as in protobuf.
		expect((await storedEvents(t)).map((e) => e.event_id.slice(-2))).toEqual(["01", "08", "09"]);
	});

	it("an attribute nested past 40 levels refuses that record; a huge repeated field of empty spans is decoded and skipped", async () => {
		const t = await registerTenant();
		let deep = new Pb().bytes(1, "leaf");
		for (let i = 0; i < 60; i++) deep = new Pb().message(5, new Pb().message(1, deep));
		const deepLog = new Pb().fixed64(1, T0_NS).message(5, deep);
		const res = await exportTo("logs", t, logsPb([deepLog, logPb({ body: "fine", time: T0_NS })]));
		expect(res.status).toBe(200);
		expect(await partial(res)).toEqual([1, "1 log records refused as invalid: resourceLogs[0].scopeLogs[0].logRecords[0]: an attribute or body value is nested deeper than 40 levels"]);

		// 200,000 spans of no content (two bytes each) in one scope: none is a SERVER span.
		const empties = new Uint8Array(400_000);
		for (let i = 0; i < empties.length; i += 2) empties[i] = 0x12;
		const scope = new Pb().raw(2, 2, empties);
		const started = Date.now();
		const huge = await exportTo("traces", t, new Pb().message(1, new Pb().raw(2, 2, scope.finish())).finish());
		expect(huge.status).toBe(200);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect((await storedEvents(t)).map((e) => e.payload.body)).toEqual(["fine"]);
	});

	it("5,000 SERVER spans in one export are all stored (the object is called per 1,000)", async () => {
		const t = await registerTenant();
		const spans = Array.from({ length: 5000 }, (_, i) => spanPb({ spanId: id(i + 1), attributes: { "http.route": "/bulk" } }));
		const res = await exportTo("traces", t, tracesPb(spans));
		expect(res.status).toBe(200);
		expect(res.headers.get("x-ratelimit-remaining")).toBe("5000");
		await flush(t.tenant.id);
		// event_id is unique per tenant in D1: 5,000 rows are 5,000 different spans.
		expect(await countEvents(t.tenant.id)).toBe(5000);
	});

	it("a record over one event's 1 MiB is refused alone", async () => {
		const t = await registerTenant();
		const res = await exportTo("logs", t, logsPb([logPb({ body: "x".repeat(1024 * 1024 + 10), time: T0_NS }), logPb({ body: "small", time: T0_NS })]));
		expect(res.status).toBe(200);
		const [rejected, message] = await partial(res);
		expect(rejected).toBe(1);
		expect(message).toContain("over the 1048576-byte limit of one event");
		expect((await storedEvents(t)).map((e) => e.payload.body)).toEqual(["small"]);
	});
});

describe("span attributes, wherever they come in the span", () => {
	it("an attribute before the kind is read too; one nested too deep refuses the span, before or after the kind", async () => {
		const t = await registerTenant();
		let deep = new Pb().bytes(1, "leaf");
		for (let i = 0; i < 60; i++) deep = new Pb().message(5, new Pb().message(1, deep));
		const kv = (key: string, value: Pb) => new Pb().bytes(1, key).message(2, value);
		const ids = (n: number) => new Pb().bytes(1, fromBase64("CvdlGRbNQ92ESOshHIAxnA==")).bytes(2, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, n));
		const times = (m: Pb) => m.fixed64(7, T0_NS).fixed64(8, T0_NS + 1_000_000n);
		const early = times(ids(1).message(9, kv("http.route", new Pb().bytes(1, "/early"))).varint(6, 2)).message(9, kv("http.request.method", new Pb().bytes(1, "PUT")));
		const deepAfter = times(ids(2).varint(6, 2).message(9, kv("http.route", deep)));
		const deepBefore = times(ids(3).message(9, kv("http.route", deep)).varint(6, 2));
		const res = await exportTo("traces", t, tracesPb([early, deepAfter, deepBefore]));
		expect(res.status).toBe(200);
		expect((await partial(res))[0]).toBe(2);
		expect((await storedEvents(t)).map((e) => [e.endpoint, e.method])).toEqual([["/early", "PUT"]]);
	});
});
