import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../db/schema";
import { LimitQuery } from "../../lib/pagination";
import { MAX_RECENT_LIMIT, WINDOWS, type WindowName } from "../../tenant/dashboard";
import { BUCKET_SECONDS } from "../../tenant/series";
import { AlertSchema } from "../alerting/alerts.schemas";
import { StoredEvent } from "../ingestion/event-schema";

export { WINDOWS };

/** `window` is echoed as given. */
const windowNames = Object.keys(WINDOWS) as [WindowName, ...WindowName[]];

const WindowQuery = z
	.enum(windowNames)
	.optional()
	.default("1h")
	.openapi({ description: "The last 5m, 15m, 1h, 6h or 24h (UTC minutes, the running one included)" });

/** A bucket in seconds: one of BUCKET_SECONDS; anything else (`61`, `abc`) is 422, never rounded. */
const BucketQuery = z
	.string()
	.regex(/^\d{1,7}$/, `one of ${BUCKET_SECONDS.join(", ")}`)
	.transform(Number)
	.pipe(
		z
			.number()
			.int()
			.refine((n) => (BUCKET_SECONDS as readonly number[]).includes(n), `one of ${BUCKET_SECONDS.join(", ")}`),
	)
	.optional()
	.default(60)
	// Documented as the integer it is (a string schema with a numeric default fails its own type).
	.openapi({ type: "integer", enum: [...BUCKET_SECONDS], default: 60, description: "Bucket size in seconds: 60, 300, 900 or 3600, at most the window" });

export const OverviewQuery = z.object({ window: WindowQuery });

export const StreamQuery = z.object({ limit: LimitQuery(MAX_RECENT_LIMIT, 50) });

export const MetricsQuery = z.object({ window: WindowQuery, bucket: BucketQuery }).superRefine((q, ctx) => {
	// A bucket that is not one of BUCKET_SECONDS has its own issue already.
	if ((BUCKET_SECONDS as readonly number[]).includes(q.bucket) && q.bucket > WINDOWS[q.window] * 60) {
		ctx.addIssue({ code: "custom", path: ["bucket"], message: `at most the window (${WINDOWS[q.window] * 60} seconds)` });
	}
});

const Count = z.number().int();
const Ratio = z.number().min(0).max(1);
const Ms = z.number().nullable();

export const LiveEventSchema = StoredEvent.extend({
	truncated: z
		.literal(true)
		.optional()
		.openapi({ description: "Present when the event is over 16 KB: payload and tags are left out here (search has them)" }),
}).openapi("LiveEvent");

const EndpointFigures = z.object({ count: Count, error_rate: Ratio, p95: Ms });

export const OverviewSchema = z
	.object({
		window: z.enum(windowNames),
		total_events: Count,
		by_type: z.object(Object.fromEntries(EVENT_TYPES.map((t) => [t, Count])) as Record<(typeof EVENT_TYPES)[number], typeof Count>),
		error_rate: Ratio.openapi({ description: "Error events plus api_calls with status >= 500, over all events" }),
		latency_ms: z.object({ avg: Ms, p50: Ms, p95: Ms, p99: Ms }).openapi({ description: "api_calls; null when none" }),
		status_classes: z.object({ "2xx": Count, "3xx": Count, "4xx": Count, "5xx": Count }),
		top_endpoints: z
			.array(EndpointFigures.extend({ endpoint: z.string() }))
			.openapi({ description: "Up to 10 endpoints of api_calls, by count descending; error_rate counts status >= 500" }),
		other_endpoints: EndpointFigures.openapi({
			description: "api_calls of endpoints beyond the per-minute bounds (1,000 live, 100 kept), merged",
		}),
		active_alerts: Count.openapi({ description: "Alerts with status active (acknowledged ones are not counted)" }),
		recent_events: z.array(LiveEventSchema).openapi({ description: "The 10 newest accepted events, newest first" }),
		health: z
			.object({ status: z.enum(["healthy", "degraded", "critical"]), reasons: z.array(z.string()) })
			.openapi("DashboardHealth", {
				description:
					"critical: an open critical alert or error_rate >= 0.25; degraded: an open warning alert or error_rate >= 0.05 " +
					"(error rates count from 20 events in the window); reasons explain, worst first",
			}),
	})
	.openapi("DashboardOverview");

export const StreamSchema = z.object({ events: z.array(LiveEventSchema) }).openapi("DashboardEventStream");

export const AlertsSummarySchema = z
	.object({
		active: Count,
		acknowledged: Count,
		by_severity: z
			.object({ info: Count, warning: Count, critical: Count })
			.openapi({ description: "Open (active or acknowledged) alerts by severity" }),
		recent: z.array(AlertSchema).openapi({ description: "The 10 most recently opened alerts, any status, newest first" }),
	})
	.openapi("DashboardAlertsSummary");

export const MetricsSchema = z
	.object({
		window: z.enum(windowNames),
		bucket_seconds: Count,
		series: z.array(
			z.object({
				t: z.string().openapi({ description: "The bucket's start (ISO-8601 UTC)", example: "2026-11-23T10:00:00.000Z" }),
				count: Count,
				errors: Count,
				error_rate: Ratio,
				p50: Ms,
				p95: Ms,
				p99: Ms,
			}),
		),
	})
	.openapi("DashboardMetrics");
