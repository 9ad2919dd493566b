import { createRouter } from "../../lib/router";
import { alertsSummaryHandler, eventStreamHandler, metricsHandler, overviewHandler } from "./dashboard.handlers";
import { getAlertsSummary, getEventStream, getMetrics, getOverview } from "./dashboard.routes";
import { connectionStats, connectionStatsHandler, dashboardSocket, dashboardSocketHandler } from "./ws";

/** The dashboard's routes, under /api/v1/dashboard: views computed by the tenant's object, and its WebSocket. */
export const dashboardRoutes = createRouter()
	.openapi(getOverview, overviewHandler)
	.openapi(getEventStream, eventStreamHandler)
	.openapi(getAlertsSummary, alertsSummaryHandler)
	.openapi(getMetrics, metricsHandler)
	.openapi(connectionStats, connectionStatsHandler)
	.openapi(dashboardSocket, dashboardSocketHandler);
