// Writes test/routes/otlp/fixtures.json: OTLP/HTTP export requests exactly as the
// official OpenTelemetry JS exporters send them (protobuf, protobuf gzip, JSON),
// captured by a local HTTP server, for the decoders' tests in workerd.
//
//   node scripts/otlp-fixtures.mjs
//
// The spans and log records are fixed (ids from a counting id generator, every
// time given), so the file only changes when the exporters' encoding does.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter as LogsHttp } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as LogsProto } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter as TracesHttp } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as TracesProto } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const OUT = join(import.meta.dirname, "..", "test", "routes", "otlp", "fixtures.json");

/** Ids 0...01, 0...02, ...: the fixture is the same on every run. */
function countingIds() {
	let n = 0;
	const hex = (width) => (++n).toString(16).padStart(width, "0");
	return { generateTraceId: () => `4bf92f3577b34da6${hex(16)}`, generateSpanId: () => `00f067aa${hex(8)}` };
}

// 2026-11-23T10:00:00.000Z and a few milliseconds on, as [seconds, nanoseconds].
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0) / 1000;
const at = (ms, extraNanos = 0) => [T0 + Math.floor(ms / 1000), (ms % 1000) * 1e6 + extraNanos];

function spans() {
	const memory = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({ "service.name": "checkout", "service.version": "1.4.2" }),
		idGenerator: countingIds(),
		spanProcessors: [new SimpleSpanProcessor(memory)],
	});
	const tracer = provider.getTracer("pulsestream-fixtures", "1.0.0");
	const span = (name, kind, start, end, attributes, status) => {
		const s = tracer.startSpan(name, { kind, startTime: start, attributes }, ROOT_CONTEXT);
		if (status) s.setStatus(status);
		s.end(end);
	};
	// New HTTP semantic conventions.
	span("POST /orders/:id", SpanKind.SERVER, at(0), at(42, 500_000), {
		"http.route": "/orders/:id",
		"url.path": "/orders/17",
		"http.request.method": "POST",
		"http.response.status_code": 201,
		"user_agent.original": "fixture/1.0",
		"app.retries": [1, 2, 3],
		"app.flags": [true, false],
		"app.ratio": 0.25,
	});
	// Old conventions, a query on the target, a 503.
	span("GET", SpanKind.SERVER, at(100), at(350), {
		"http.target": "/search?q=shoes&page=2",
		"http.method": "GET",
		"http.status_code": 503,
	});
	// url.path only, status ERROR with a 200.
	span("DELETE", SpanKind.SERVER, at(400), at(401), {
		"url.path": "/carts/9",
		"http.request.method": "DELETE",
		"http.response.status_code": 200,
	}, { code: SpanStatusCode.ERROR, message: "handler threw" });
	// Not events: a client call, an internal step.
	span("GET api.stripe.com", SpanKind.CLIENT, at(10), at(30), { "http.request.method": "GET", "url.full": "https://api.stripe.com/v1" });
	span("render", SpanKind.INTERNAL, at(31), at(35), {});
	return memory.getFinishedSpans();
}

async function logs() {
	// A processor that keeps what is emitted (the SDK's in-memory exporter exports asynchronously).
	const emitted = [];
	const provider = new LoggerProvider({
		resource: resourceFromAttributes({ "service.name": "billing" }),
		processors: [{ onEmit: (record) => emitted.push(record), forceFlush: async () => {}, shutdown: async () => {} }],
	});
	const logger = provider.getLogger("pulsestream-fixtures", "1.0.0");
	const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
		traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
		spanId: "00f067aa0ba902b7",
		traceFlags: TraceFlags.SAMPLED,
	});
	logger.emit({
		severityNumber: SeverityNumber.INFO,
		severityText: "INFO",
		body: "invoice 42 sent",
		attributes: { "invoice.id": 42, "invoice.paid": true },
		timestamp: at(5),
		observedTimestamp: at(6),
		context: inSpan,
	});
	logger.emit({
		severityNumber: SeverityNumber.ERROR,
		severityText: "ERROR",
		body: { message: "card declined", codes: [51, 54], raw: new Uint8Array([0, 1, 254, 255]), nested: { ok: false } },
		attributes: { "exception.type": "CardError", "retry.after": 1.5 },
		timestamp: at(7),
		observedTimestamp: at(8),
		context: ROOT_CONTEXT,
	});
	logger.emit({
		severityNumber: SeverityNumber.WARN2,
		body: "slow query",
		timestamp: at(9),
		observedTimestamp: at(9),
		context: ROOT_CONTEXT,
	});
	logger.emit({
		severityNumber: SeverityNumber.FATAL,
		severityText: "FATAL",
		body: "out of memory",
		timestamp: at(10),
		observedTimestamp: at(10),
		context: ROOT_CONTEXT,
	});
	logger.emit({ severityNumber: SeverityNumber.DEBUG3, body: "cache miss", timestamp: at(11), observedTimestamp: at(11), context: ROOT_CONTEXT });
	return emitted;
}

/** Runs `exporter.export(items)` against a local server and returns the request it sent. */
async function capture(make, items) {
	let got;
	const server = createServer((req, res) => {
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", () => {
			got = { contentType: req.headers["content-type"], contentEncoding: req.headers["content-encoding"] ?? null, body: Buffer.concat(chunks) };
			res.writeHead(200, { "Content-Type": req.headers["content-type"] }).end();
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	const exporter = make(`http://127.0.0.1:${server.address().port}/v1/path`);
	const result = await new Promise((resolve) => exporter.export(items, resolve));
	await exporter.shutdown();
	server.close();
	if (result.code !== 0) throw new Error(`export failed: ${result.error}`);
	return got;
}

const finished = spans();
const records = await logs();
const encode = (r, text) => ({
	content_type: r.contentType,
	content_encoding: r.contentEncoding,
	...(text ? { body: r.body.toString("utf8") } : { body_base64: r.body.toString("base64") }),
});
const fixtures = {
	generated_by: "node scripts/otlp-fixtures.mjs (the official OpenTelemetry JS exporters)",
	traces: {
		protobuf: encode(await capture((url) => new TracesProto({ url }), finished)),
		protobuf_gzip: encode(await capture((url) => new TracesProto({ url, compression: "gzip" }), finished)),
		json: encode(await capture((url) => new TracesHttp({ url }), finished), true),
	},
	logs: {
		protobuf: encode(await capture((url) => new LogsProto({ url }), records)),
		json: encode(await capture((url) => new LogsHttp({ url }), records), true),
	},
};
writeFileSync(OUT, `${JSON.stringify(fixtures, null, "\t")}\n`);
console.log(`wrote ${OUT}: ${finished.length} spans, ${records.length} log records`);
