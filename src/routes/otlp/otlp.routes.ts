import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../../lib/errors";
import { rateLimitHeaders } from "../ingestion/ingestion.routes";
import type { Signal } from "./answer";

const binary = z.string().openapi({ format: "binary" });

function exportRoute(signal: Signal) {
	const traces = signal === "traces";
	const request = traces ? "ExportTraceServiceRequest" : "ExportLogsServiceRequest";
	const rejected = traces ? "rejectedSpans" : "rejectedLogRecords";
	const mapping = traces
		? "Every SERVER span becomes one `api_call` event (`event_id` `<traceId>-<spanId>`, endpoint from `http.route`, " +
			"else `url.path` or `http.target` without its query; method, status and duration from the old or new HTTP " +
			"semantic conventions; `user_id` from `user.id` or `enduser.id`, `session_id` from `session.id`; `severity` error " +
			"for a 5xx or a span status ERROR; `tags` `{trace_id, span_id}`; no payload). Spans of other kinds are not events."
		: "Every log record becomes one event: `error` when its severity number is 17 or more, else `custom`, with the " +
			"severity from its number, `payload` `{body, attributes}`, `tags` `{trace_id, span_id}` when it has them and an " +
			"`event_id` derived from its content (a retried export stores it once).";
	return createRoute({
		method: "post",
		path: `/otlp/v1/${signal}`,
		operationId: traces ? "exportOtlpTraces" : "exportOtlpLogs",
		summary: traces ? "OTLP/HTTP trace export: SERVER spans become api_call events" : "OTLP/HTTP log export: log records become events",
		description:
			`An OTLP/HTTP \`${request}\` as \`application/x-protobuf\` or \`application/json\`, optionally ` +
			"`Content-Encoding: gzip`, with an ingest-scoped `X-API-Key` (`OTEL_EXPORTER_OTLP_ENDPOINT=https://<host>/api/v1/otlp`, " +
			`\`OTEL_EXPORTER_OTLP_HEADERS=X-API-Key=<key>\`). ${mapping} ` +
			`Answers follow the OTLP specification, in the request's encoding: 200 with \`partialSuccess.${rejected}\` and ` +
			"`errorMessage` when some records were refused as invalid; 400 for a body that cannot be decoded; 413 past 5 MiB " +
			"after decompression; 415 for another content type; 429 with `Retry-After` when some events did not fit the rate " +
			"limit (those that fit are accepted; retry the whole export, they come back as duplicates). Errors are a " +
			"`google.rpc.Status`; in JSON it also carries the usual `error` envelope.",
		tags: ["OpenTelemetry"],
		security: [{ ApiKey: [] }],
		request: {
			body: {
				required: true,
				content: {
					"application/x-protobuf": { schema: binary },
					"application/json": { schema: z.object({}).passthrough().openapi({ description: `${request} in OTLP/JSON` }) },
				},
			},
		},
		responses: {
			200: {
				description: `Export${traces ? "Trace" : "Logs"}ServiceResponse; \`partialSuccess\` only when records were refused`,
				headers: rateLimitHeaders,
				content: {
					"application/x-protobuf": { schema: binary },
					"application/json": {
						schema: z.object({
							partialSuccess: z.object({ [rejected]: z.string(), errorMessage: z.string() }).optional(),
						}),
					},
				},
			},
			...errorResponses(400, 401, 403, 413, 415, 429),
		},
	});
}

export const exportTracesRoute = exportRoute("traces");
export const exportLogsRoute = exportRoute("logs");
