import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, TraceFlags, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, type LogRecordExporter, type SdkLogRecord, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Compression, FAILED, Recording, SUCCESS, type Tap, startTap, watch, withOtelEnv } from "./otlp-wire";

/**
 * The official OpenTelemetry JS SDK and exporters against `npm run dev`, as a
 * team that already has OpenTelemetry would point them at us. Every export
 * goes through a loopback tap (otlp-wire.ts) that forwards it unchanged and
 * notes what was on the wire.
 */
const base = inject("baseUrl");
const run = Date.now().toString(36);

type Registered = { api_key: { key: string }; access_token: string };
type Found = Record<string, unknown> & { event_id: string };

let owner: Registered;
let ingestKey: string;
let readKey: string;
let tap: Tap;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(`${base}/api/v1${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

async function makeKey(scopes: string[]): Promise<string> {
	const res = await post("/api-keys", { name: scopes.join("+"), scopes }, { Authorization: `Bearer ${owner.access_token}` });
	expect(res.status).toBe(201);
	return ((await res.json()) as { key: string }).key;
}


/** Every event of a source (all pages), newest first, read with the registration's key (ingest + read). */
async function searchAll(source: string): Promise<Found[]> {
	const found: Found[] = [];
	let cursor: string | null = null;
	do {
		const q = new URLSearchParams({ source, limit: "1000", ...(cursor ? { cursor } : {}) });
		const res = await fetch(`${base}/api/v1/ingestion/events/search?${q}`, { headers: { "X-API-Key": owner.api_key.key } });
		expect(res.status).toBe(200);
		const page = (await res.json()) as { events: Found[]; next_cursor: string | null };
		found.push(...page.events);
		cursor = page.next_cursor;
	} while (cursor);
	return found;
}

/** Polls search until `count` events of the source are there (the contract: within 5 s of acceptance). */
async function waitFor(source: string, count: number, ms = 5_000): Promise<Found[]> {
	const deadline = Date.now() + ms;
	let found = await searchAll(source);
	while (found.length < count && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 200));
		found = await searchAll(source);
	}
	return found;
}

/** A sample of the tenant's /api/v1/metrics (0 while the series has none). */
async function metric(series: string): Promise<number> {
	const res = await fetch(`${base}/api/v1/metrics`, { headers: { Authorization: `Bearer ${owner.api_key.key}` } });
	expect(res.status).toBe(200);
	const line = (await res.text()).split("\n").find((l) => l.startsWith(`${series} `));
	return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
const DUPLICATES = 'pulsestream_events_dropped_total{reason="duplicate"}';
const API_CALLS = 'pulsestream_events_total{event_type="api_call"}';

const byId = (a: Found, b: Found) => (a.event_id < b.event_id ? -1 : 1);
const pick = (e: Found, keys: string[]) => Object.fromEntries(keys.map((k) => [k, e[k]])) as Found;
const API_CALL_FIELDS = ["event_id", "event_type", "timestamp", "source", "severity", "endpoint", "method", "status_code", "response_time_ms", "tags"];

// Times given exactly (whole milliseconds plus nanoseconds), so start and duration can be asserted exactly.
const T0 = Date.now() - 60_000;
const hr = (ms: number, ns = 0): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6 + ns];
const iso = (ms: number) => new Date(ms).toISOString();
const idOf = (s: Span) => `${s.spanContext().traceId}-${s.spanContext().spanId}`;
const tagsOf = (s: Span) => ({ trace_id: s.spanContext().traceId, span_id: s.spanContext().spanId });

/**
 * Four SERVER spans (new and old HTTP semantic-convention names, a 503, a
 * status ERROR) and a CLIENT span; returns the events the contract maps them
 * to and the CLIENT span's would-be id.
 */
function serverSpans(tracer: Tracer, source: string) {
	const span = (name: string, kind: SpanKind, from: number, attributes: Record<string, string | number>) =>
		tracer.startSpan(name, { kind, startTime: hr(from), attributes }, ROOT_CONTEXT);
	const expected: Found[] = [];
	const server = (s: Span, from: number, rest: Record<string, unknown>) =>
		expected.push({ event_id: idOf(s), event_type: "api_call", timestamp: iso(from), source, tags: tagsOf(s), ...rest });

	const created = span("POST /orders/:id", SpanKind.SERVER, T0, {
		"http.route": "/orders/:id",
		"url.path": "/orders/17",
		"http.request.method": "POST",
		"http.response.status_code": 201,
	});
	created.end(hr(T0 + 42, 500_000));
	server(created, T0, { severity: "info", endpoint: "/orders/:id", method: "POST", status_code: 201, response_time_ms: 42.5 });

	const searched = span("GET", SpanKind.SERVER, T0 + 100, { "http.target": "/search?q=shoes&page=2", "http.method": "GET", "http.status_code": 200 });
	searched.end(hr(T0 + 350));
	server(searched, T0 + 100, { severity: "info", endpoint: "/search", method: "GET", status_code: 200, response_time_ms: 250 });

	const failed = span("DELETE", SpanKind.SERVER, T0 + 400, { "http.target": "/carts/9", "http.method": "DELETE", "http.status_code": 200 });
	failed.setStatus({ code: SpanStatusCode.ERROR, message: "handler threw" });
	failed.end(hr(T0 + 401));
	server(failed, T0 + 400, { severity: "error", endpoint: "/carts/9", method: "DELETE", status_code: 200, response_time_ms: 1 });

	const unavailable = span("GET /health", SpanKind.SERVER, T0 + 500, {
		"http.route": "/health",
		"http.request.method": "GET",
		"http.response.status_code": 503,
	});
	unavailable.end(hr(T0 + 512, 250_000));
	server(unavailable, T0 + 500, { severity: "error", endpoint: "/health", method: "GET", status_code: 503, response_time_ms: 12.25 });

	const client = span("GET api.stripe.com", SpanKind.CLIENT, T0 + 10, { "http.request.method": "GET", "url.full": "https://api.stripe.com/v1" });
	client.end(hr(T0 + 30));
	return { expected, clientId: idOf(client) };
}

/**
 * The SDK's usual path: a provider with a BatchSpanProcessor, flushed. All
 * five spans leave in one export, so once its four SERVER events are
 * searchable, a stored CLIENT span would be too.
 */
async function traceThrough(exporter: SpanExporter, source: string) {
	const recording = new Recording<ReadableSpan>(exporter);
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({ "service.name": source, "service.version": "1.0.0" }),
		spanProcessors: [new BatchSpanProcessor(recording)],
	});
	const { expected, clientId } = serverSpans(provider.getTracer("pulsestream-e2e", "1.0.0"), source);
	await provider.forceFlush();
	await provider.shutdown();
	expect(recording.results).toEqual([{ code: SUCCESS }]);
	const found = await waitFor(source, expected.length);
	expect(found.map((e) => pick(e, API_CALL_FIELDS)).sort(byId)).toEqual(expected.sort(byId));
	expect(found.map((e) => e.event_id)).not.toContain(clientId);
}

beforeAll(async () => {
	const res = await post("/auth/register/tenant", { name: "OTLP", slug: `otlp-${run}`, email: "otlp@example.test", password: "otlp-end-to-end-password" });
	expect(res.status).toBe(201);
	owner = (await res.json()) as Registered;
	// Producers hold ingest-only keys: every export below that should work uses one.
	ingestKey = await makeKey(["ingest"]);
	readKey = await makeKey(["read"]);
	tap = await startTap(base);
});

afterAll(() => tap?.server.close());

describe("OpenTelemetry traces against npm run dev (ingest-only key)", () => {
	it("the protobuf exporter: SERVER spans are searchable within 5 s with the mapped fields, the CLIENT span is not stored", async () => {
		const seen = watch(tap);
		await traceThrough(new ProtoTraceExporter({ url: `${tap.url}/api/v1/otlp/v1/traces`, headers: { "X-API-Key": ingestKey } }), `proto-${run}`);
		expect(seen()).toEqual([{ path: "/api/v1/otlp/v1/traces", contentType: "application/x-protobuf", contentEncoding: undefined, apiKey: ingestKey, status: 200 }]);
	});

	it("the JSON exporter: the same events", async () => {
		const seen = watch(tap);
		await traceThrough(new JsonTraceExporter({ url: `${tap.url}/api/v1/otlp/v1/traces`, headers: { "X-API-Key": ingestKey } }), `json-${run}`);
		expect(seen()).toEqual([{ path: "/api/v1/otlp/v1/traces", contentType: "application/json", contentEncoding: undefined, apiKey: ingestKey, status: 200 }]);
	});

	it("the protobuf exporter with compression: 'gzip': the same events", async () => {
		const seen = watch(tap);
		const exporter = new ProtoTraceExporter({
			url: `${tap.url}/api/v1/otlp/v1/traces`,
			headers: { "X-API-Key": ingestKey },
			compression: "gzip" as Compression,
		});
		await traceThrough(exporter, `gzip-${run}`);
		expect(seen()).toEqual([{ path: "/api/v1/otlp/v1/traces", contentType: "application/x-protobuf", contentEncoding: "gzip", apiKey: ingestKey, status: 200 }]);
	});

	it("configured only by OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS: the exporter appends /v1/traces itself", async () => {
		const seen = watch(tap);
		await withOtelEnv(`${tap.url}/api/v1/otlp`, ingestKey, () => traceThrough(new ProtoTraceExporter(), `env-${run}`));
		expect(seen()).toEqual([{ path: "/api/v1/otlp/v1/traces", contentType: "application/x-protobuf", contentEncoding: undefined, apiKey: ingestKey, status: 200 }]);
		expect(process.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
	});

	it("a read-only key: the export fails with 403 and nothing is stored (the same spans sent with an ingest key are new, not duplicates)", async () => {
		const source = `read-only-${run}`;
		const ended: ReadableSpan[] = [];
		const provider = new BasicTracerProvider({
			resource: resourceFromAttributes({ "service.name": source }),
			spanProcessors: [{ onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
		});
		const { expected } = serverSpans(provider.getTracer("pulsestream-e2e"), source);
		const url = `${tap.url}/api/v1/otlp/v1/traces`;
		const seen = watch(tap);
		const refused = await new Recording<ReadableSpan>(new ProtoTraceExporter({ url, headers: { "X-API-Key": readKey } })).once(ended);
		expect(refused.code).toBe(FAILED);
		expect(refused.error).toMatchObject({ code: 403 });
		expect(seen()).toEqual([{ path: "/api/v1/otlp/v1/traces", contentType: "application/x-protobuf", contentEncoding: undefined, apiKey: readKey, status: 403 }]);

		// Had the refused export stored (or merely remembered) anything, these would come back as duplicates.
		const [events, duplicates] = [await metric(API_CALLS), await metric(DUPLICATES)];
		expect(await new Recording<ReadableSpan>(new ProtoTraceExporter({ url, headers: { "X-API-Key": ingestKey } })).once(ended)).toEqual({ code: SUCCESS });
		expect(await metric(DUPLICATES)).toBe(duplicates);
		expect(await metric(API_CALLS)).toBe(events + 4);
		const found = await waitFor(source, 4);
		expect(found.map((e) => pick(e, API_CALL_FIELDS)).sort(byId)).toEqual(expected.sort(byId));
	});
});

describe("OpenTelemetry logs against npm run dev", () => {
	it("INFO and ERROR records become custom and error events with {body, attributes}; the batch re-sent is stored once", async () => {
		const source = `logs-${run}`;
		const emitted: SdkLogRecord[] = [];
		const seen = watch(tap);
		// Configured like the traces above, by the two variables only: the exporter appends /v1/logs.
		const exporter = await withOtelEnv(`${tap.url}/api/v1/otlp`, ingestKey, async () => new Recording<SdkLogRecord>(new OTLPLogExporter() as LogRecordExporter));
		const provider = new LoggerProvider({
			resource: resourceFromAttributes({ "service.name": source }),
			// A second processor keeps the records, to export the same batch again by hand.
			processors: [new SimpleLogRecordProcessor({ exporter }), { onEmit: (r) => emitted.push(r), forceFlush: async () => {}, shutdown: async () => {} }],
		});
		const logger = provider.getLogger("pulsestream-e2e", "1.0.0");
		const inSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: TraceFlags.SAMPLED });
		logger.emit({
			severityNumber: SeverityNumber.INFO,
			severityText: "INFO",
			body: "invoice 42 sent",
			attributes: { "invoice.id": 42, "invoice.paid": true },
			timestamp: hr(T0 + 5),
			observedTimestamp: hr(T0 + 6),
			context: inSpan,
		});
		logger.emit({
			severityNumber: SeverityNumber.ERROR,
			severityText: "ERROR",
			body: { message: "card declined", codes: [51, 54] },
			attributes: { "exception.type": "CardError" },
			timestamp: hr(T0 + 7),
			observedTimestamp: hr(T0 + 8),
			context: ROOT_CONTEXT,
		});
		// SimpleLogRecordProcessor.forceFlush does not wait for its exports (sdk-logs 0.223); the exporter's does.
		await provider.forceFlush();
		await exporter.forceFlush();
		expect(exporter.results).toEqual([{ code: SUCCESS }, { code: SUCCESS }]);
		expect(seen().map((s) => [s.path, s.contentType, s.apiKey, s.status])).toEqual([
			["/api/v1/otlp/v1/logs", "application/x-protobuf", ingestKey, 200],
			["/api/v1/otlp/v1/logs", "application/x-protobuf", ingestKey, 200],
		]);

		const fields = ["event_type", "timestamp", "source", "severity", "payload", "tags"];
		const expected = [
			{ event_type: "custom", timestamp: iso(T0 + 5), source, severity: "info", payload: { body: "invoice 42 sent", attributes: { "invoice.id": 42, "invoice.paid": true } }, tags: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" } },
			{ event_type: "error", timestamp: iso(T0 + 7), source, severity: "error", payload: { body: { message: "card declined", codes: [51, 54] }, attributes: { "exception.type": "CardError" } }, tags: null },
		];
		const found = (await waitFor(source, 2)).reverse(); // oldest first
		expect(found.map((e) => pick(e, fields))).toEqual(expected);
		const ids = found.map((e) => e.event_id);
		expect(ids).toEqual([expect.stringMatching(/^log-[0-9a-f]{32}$/), expect.stringMatching(/^log-[0-9a-f]{32}$/)]);
		expect(new Set(ids).size).toBe(2);

		// The same two records again, in one export: the tenant's object counts both as duplicates before
		// answering (search alone could not tell a refused copy from one not flushed yet).
		const duplicates = await metric(DUPLICATES);
		expect(emitted).toHaveLength(2);
		expect(await exporter.once(emitted)).toEqual({ code: SUCCESS });
		expect(await metric(DUPLICATES)).toBe(duplicates + 2);
		const after = await searchAll(source);
		expect(after.map((e) => e.event_id).sort()).toEqual([...ids].sort());
		await provider.shutdown();
	});
});
