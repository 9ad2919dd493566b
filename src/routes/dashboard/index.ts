import { cors } from "../../lib/cors";
import { createRouter } from "../../lib/router";
import { alertsSummaryHandler, eventStreamHandler, metricsHandler, overviewHandler } from "./dashboard.handlers";
import { getAlertsSummary, getEventStream, getMetrics, getOverview } from "./dashboard.routes";
import { connectionStats, connectionStatsHandler, dashboardSocket, dashboardSocketHandler } from "./ws";

const router = createRouter();
// The REST reads serve cross-origin callers (lib/cors.ts), registered before their routes; the
// WebSocket is not a CORS request (browsers send its Origin and no preflight) and stays without.
for (const path of ["/dashboard/overview", "/dashboard/events/stream", "/dashboard/alerts/summary", "/dashboard/metrics/real-time", "/dashboard/connections/stats"]) {
	router.use(path, cors(["GET"]));
}

/** The dashboard's routes, under /api/v1/dashboard: views computed by the tenant's object, and its WebSocket. */
export const dashboardRoutes = router
	.openapi(getOverview, overviewHandler)
	.openapi(getEventStream, eventStreamHandler)
	.openapi(getAlertsSummary, alertsSummaryHandler)
	.openapi(getMetrics, metricsHandler)
	.openapi(connectionStats, connectionStatsHandler)
	.openapi(dashboardSocket, dashboardSocketHandler);
