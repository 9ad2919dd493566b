import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import type { AppRouteHandler } from "../../lib/types";
import type { getAlertsSummary, getEventStream, getMetrics, getOverview } from "./dashboard.routes";
import { WINDOWS } from "./dashboard.schemas";

/** Only when D1 no longer knows the caller's tenant (it was deleted meanwhile). */
function orNotFound<T>(body: T | null): T {
	if (body === null) throw new ApiError({ code: "NOT_FOUND", message: "The tenant no longer exists." });
	return body;
}

export const overviewHandler: AppRouteHandler<typeof getOverview> = async (c) => {
	const { tenantId } = c.get("principal");
	const { window } = c.req.valid("query");
	const body = orNotFound(await tenantStub(c.env, tenantId).overview(tenantId, WINDOWS[window]));
	return c.json({ window, ...body }, 200);
};

export const eventStreamHandler: AppRouteHandler<typeof getEventStream> = async (c) => {
	const { tenantId } = c.get("principal");
	const { limit } = c.req.valid("query");
	return c.json(orNotFound(await tenantStub(c.env, tenantId).recentEvents(tenantId, limit)), 200);
};

export const alertsSummaryHandler: AppRouteHandler<typeof getAlertsSummary> = async (c) => {
	const { tenantId } = c.get("principal");
	return c.json(orNotFound(await tenantStub(c.env, tenantId).alertsSummary(tenantId)), 200);
};

export const metricsHandler: AppRouteHandler<typeof getMetrics> = async (c) => {
	const { tenantId } = c.get("principal");
	const { window, bucket } = c.req.valid("query");
	const body = orNotFound(await tenantStub(c.env, tenantId).metricsSeries(tenantId, WINDOWS[window], bucket));
	return c.json({ window, ...body }, 200);
};
