import { createRoute } from "@hono/zod-openapi";
import { requireRead } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import {
	AlertsSummarySchema,
	MetricsQuery,
	MetricsSchema,
	OverviewQuery,
	OverviewSchema,
	StreamQuery,
	StreamSchema,
} from "./dashboard.schemas";

/** Read routes: an API key or a user access token of the tenant. */
const security: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];
const tags = ["Dashboard"];
const description = "Computed from the tenant object's counters; never a scan of stored events.";

export const getOverview = createRoute({
	method: "get",
	path: "/dashboard/overview",
	operationId: "getDashboardOverview",
	tags,
	summary: "Counts, error rate, latency, top endpoints, alerts, newest events and health over a window",
	description,
	security,
	middleware: [requireRead] as const,
	request: { query: OverviewQuery },
	responses: {
		200: { description: "The overview", content: jsonContent(OverviewSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const getEventStream = createRoute({
	method: "get",
	path: "/dashboard/events/stream",
	operationId: "getDashboardEventStream",
	tags,
	summary: "The newest accepted events, newest first (limit 1-200, default 50)",
	description: "Read from the tenant object's ring of recent events, filled from storage after a restart.",
	security,
	middleware: [requireRead] as const,
	request: { query: StreamQuery },
	responses: {
		200: { description: "The newest events", content: jsonContent(StreamSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const getAlertsSummary = createRoute({
	method: "get",
	path: "/dashboard/alerts/summary",
	operationId: "getDashboardAlertsSummary",
	tags,
	summary: "Open alerts by status and severity, and the 10 most recently opened alerts",
	description: "From the tenant object, the one authority on alert state: an alert opened a moment ago is counted at once.",
	security,
	middleware: [requireRead] as const,
	responses: {
		200: { description: "The summary", content: jsonContent(AlertsSummarySchema) },
		...errorResponses(401, 403),
	},
});

export const getMetrics = createRoute({
	method: "get",
	path: "/dashboard/metrics/real-time",
	operationId: "getDashboardMetrics",
	tags,
	summary: "Event count, errors, error rate and latency percentiles per bucket, oldest first, every bucket present",
	description,
	security,
	middleware: [requireRead] as const,
	request: { query: MetricsQuery },
	responses: {
		200: { description: "The series", content: jsonContent(MetricsSchema) },
		...errorResponses(401, 403, 422),
	},
});
