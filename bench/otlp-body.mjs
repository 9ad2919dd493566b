// The body of the bench's OTLP section: one ExportTraceServiceRequest of `count` HTTP SERVER
// spans, serialized by the official exporter's serializer (ProtobufTraceSerializer, what
// @opentelemetry/exporter-trace-otlp-proto sends) from ReadableSpans made by sdk-trace-base.
// wrk sends it with bench/otlp.lua, which makes every span unique per request.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * The first 8 bytes of every trace id in the template. otlp.lua replaces each occurrence
 * with 8 bytes of its own per request (run, thread, request number), so each span's
 * event_id (`<traceId>-<spanId>`) is new on every request, as the batch bench's ids are.
 * Arbitrary bytes; bodyTemplate checks they occur exactly once per span.
 */
export const MARKER_HEX = "b39c7e51a042d86f";

const hrTime = (ms) => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/**
 * `count` spans as an instrumented HTTP server reports them (new semantic conventions, the
 * attributes @opentelemetry/instrumentation-http sets), with the batch bench's figures:
 * event i (1-based) is a 503 when i % 50 == 0 and takes (i % 400) + 0.5 ms. They start in
 * the second before `now`, so their timestamps are as recent as the batch bench's events.
 */
export function bodyTemplate(count, now = Date.now()) {
	let n = 0;
	const idGenerator = {
		generateTraceId: () => `${MARKER_HEX}${(n + 1).toString(16).padStart(16, "0")}`,
		generateSpanId: () => `5e${(++n).toString(16).padStart(14, "0")}`,
	};
	const memory = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({
			"service.name": "bench",
			"service.version": "1.0.0",
			"deployment.environment.name": "bench",
			"host.name": "bench-host-1",
			"telemetry.sdk.language": "nodejs",
			"telemetry.sdk.name": "opentelemetry",
			"telemetry.sdk.version": "2.12.1",
		}),
		idGenerator,
		spanProcessors: [new SimpleSpanProcessor(memory)],
	});
	const tracer = provider.getTracer("@opentelemetry/instrumentation-http", "0.223.1");
	for (let i = 1; i <= count; i++) {
		const status = i % 50 === 0 ? 503 : 200;
		const start = now - 1000 + (i * 1000) / count;
		const span = tracer.startSpan(
			"GET /v1/orders/{id}",
			{
				kind: SpanKind.SERVER,
				startTime: hrTime(start),
				attributes: {
					"http.request.method": "GET",
					"http.route": "/v1/orders/{id}",
					"url.path": `/v1/orders/${1000 + i}`,
					"url.scheme": "https",
					"http.response.status_code": status,
					"server.address": "api.bench.example",
					"server.port": 443,
					"network.protocol.version": "1.1",
					"client.address": `10.0.${i % 256}.${(i * 7) % 256}`,
					"user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
				},
			},
			ROOT_CONTEXT,
		);
		// Instrumentations mark a server span ERROR for a 5xx (HTTP semantic conventions).
		if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
		span.end(hrTime(start + (i % 400) + 0.5));
	}
	const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
	const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	const marker = Buffer.from(MARKER_HEX, "hex");
	let found = 0;
	for (let at = buf.indexOf(marker); at !== -1; at = buf.indexOf(marker, at + marker.length)) found++;
	if (found !== count) throw new Error(`the OTLP template holds the trace-id marker ${found} times, not ${count}`);
	return buf;
}
