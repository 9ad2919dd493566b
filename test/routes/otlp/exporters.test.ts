import { describe, expect, it } from "vitest";
import { registerTenant } from "../../helpers";
import { exportTo, fixtures, fromBase64, readPb, storedEvents } from "./otlp";

// What the official OpenTelemetry JS exporters sent (scripts/otlp-fixtures.mjs): five spans
// (three SERVER, one CLIENT, one INTERNAL) and five log records.
const trace = (n: number) => `4bf92f3577b34da6${n.toString(16).padStart(16, "0")}`;
const span = (n: number) => `00f067aa${n.toString(16).padStart(8, "0")}`;
const at = (ms: number) => new Date(Date.UTC(2026, 10, 23, 10) + ms).toISOString();

const SPANS = [
	{
		event_id: `${trace(2)}-${span(1)}`,
		event_type: "api_call",
		timestamp: at(0),
		source: "checkout",
		severity: "info",
		endpoint: "/orders/:id",
		method: "POST",
		status_code: 201,
		response_time_ms: 42.5,
		tags: { trace_id: trace(2), span_id: span(1) },
		// A span keeps no payload: its attributes are its columns (README, OpenTelemetry).
		payload: null,
		user_id: null,
	},
	{
		event_id: `${trace(4)}-${span(3)}`,
		timestamp: at(100),
		severity: "error",
		endpoint: "/search",
		method: "GET",
		status_code: 503,
		response_time_ms: 250,
	},
	{
		event_id: `${trace(6)}-${span(5)}`,
		timestamp: at(400),
		severity: "error",
		endpoint: "/carts/9",
		method: "DELETE",
		status_code: 200,
		response_time_ms: 1,
	},
];

const LOGS = [
	{
		event_type: "custom",
		severity: "info",
		timestamp: at(5),
		source: "billing",
		payload: { body: "invoice 42 sent", attributes: { "invoice.id": 42, "invoice.paid": true } },
		tags: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" },
	},
	{
		event_type: "error",
		severity: "error",
		timestamp: at(7),
		payload: {
			body: { message: "card declined", codes: [51, 54], raw: "AAH+/w==", nested: { ok: false } },
			attributes: { "exception.type": "CardError", "retry.after": 1.5 },
		},
		tags: null,
	},
	{ event_type: "custom", severity: "warning", timestamp: at(9), payload: { body: "slow query", attributes: {} } },
	{ event_type: "error", severity: "critical", timestamp: at(10), payload: { body: "out of memory", attributes: {} } },
	{ event_type: "custom", severity: "debug", timestamp: at(11), payload: { body: "cache miss", attributes: {} } },
];

const body = (f: { body?: string; body_base64?: string }) => (f.body !== undefined ? f.body : fromBase64(f.body_base64!));

describe("OTLP exports from the official OpenTelemetry JS exporters", () => {
	for (const [name, f] of Object.entries(fixtures.traces)) {
		it(`traces as ${name}: the SERVER spans become api_call events with the mapped fields; a retry stores nothing twice`, async () => {
			const t = await registerTenant();
			const headers: Record<string, string> = f.content_encoding ? { "Content-Encoding": f.content_encoding } : {};
			const res = await exportTo("traces", t, body(f), f.content_type, headers);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toBe(f.content_type.startsWith("application/json") ? "application/json" : "application/x-protobuf");
			expect(res.headers.get("x-ratelimit-limit")).toBe("10000");
			if (f.content_type.startsWith("application/json")) expect(await res.json()).toEqual({});
			else expect(new Uint8Array(await res.arrayBuffer()).byteLength).toBe(0);

			const again = await exportTo("traces", t, body(f), f.content_type, headers);
			expect(again.status).toBe(200);
			const events = await storedEvents(t);
			expect(events).toHaveLength(3);
			events.forEach((ev, i) => expect(ev).toMatchObject(SPANS[i]!));
		});
	}

	for (const [name, f] of Object.entries(fixtures.logs)) {
		it(`logs as ${name}: each record becomes an event; a retry stores nothing twice`, async () => {
			const t = await registerTenant();
			const res = await exportTo("logs", t, body(f), f.content_type);
			expect(res.status).toBe(200);
			await exportTo("logs", t, body(f), f.content_type);
			const events = await storedEvents(t);
			expect(events).toHaveLength(5);
			events.forEach((ev, i) => {
				expect(ev).toMatchObject({ source: "billing", ...LOGS[i]! });
				expect(ev.event_id).toMatch(/^log-[0-9a-f]{32}$/);
			});
		});
	}

	it("a log record has the same event_id whether it came as protobuf or JSON", async () => {
		const ids = async (f: { content_type: string; body?: string; body_base64?: string }) => {
			const t = await registerTenant();
			expect((await exportTo("logs", t, body(f), f.content_type)).status).toBe(200);
			return (await storedEvents(t)).map((e) => e.event_id);
		};
		const [proto, json] = [await ids(fixtures.logs.protobuf), await ids(fixtures.logs.json)];
		expect(new Set(proto).size).toBe(5);
		expect(json).toEqual(proto);
	});

	it("answers protobuf with an empty ExportTraceServiceResponse", async () => {
		const t = await registerTenant();
		const res = await exportTo("traces", t, fromBase64(fixtures.traces.protobuf.body_base64));
		expect(readPb(new Uint8Array(await res.arrayBuffer())).size).toBe(0);
	});
});
