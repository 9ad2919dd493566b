import { createRoute, z } from "@hono/zod-openapi";
import { requireScrape } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { EXPOSITION_CONTENT_TYPE } from "./exposition";

const EXAMPLE = `# HELP pulsestream_events_total Events accepted since the tenant was created, by event type.
# TYPE pulsestream_events_total counter
pulsestream_events_total{event_type="api_call"} 3
pulsestream_api_call_duration_seconds_bucket{endpoint="/v1/orders/{id}",le="0.005"} 1
`;

export const getPrometheusMetrics = createRoute({
	method: "get",
	path: "/metrics",
	operationId: "getPrometheusMetrics",
	summary: "The tenant's lifetime totals in the Prometheus text exposition format",
	description:
		"For a Prometheus scrape: `authorization: {type: Bearer, credentials: <API key with the read scope>}` in the scrape config " +
		"(or `X-API-Key`, or a user access token as Bearer). Counters only grow, across restarts of the tenant's object: " +
		"`pulsestream_events_total{event_type}`, `pulsestream_api_calls_total{endpoint,method,status_class}`, " +
		"`pulsestream_errors_total`, the histogram `pulsestream_api_call_duration_seconds` (`_bucket{endpoint,le}`, `_sum`, `_count`; " +
		"bounds 0.005 to 10 s), `pulsestream_events_dropped_total{reason}` and the gauge `pulsestream_alerts_active{severity}`. " +
		'The first 100 endpoints keep their own series; later ones count as `endpoint="other"`. Errors answer the JSON error envelope.',
	tags: ["Metrics"],
	security: [{ ApiKey: [] }, { Bearer: [] }],
	middleware: [requireScrape] as const,
	responses: {
		200: {
			description: "Text exposition format 0.0.4",
			content: { [EXPOSITION_CONTENT_TYPE]: { schema: z.string().openapi({ example: EXAMPLE }) } },
		},
		...errorResponses(401, 403),
	},
});
