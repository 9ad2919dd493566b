import { type SQL, and, asc, desc, eq } from "drizzle-orm";
import { db } from "../../db/client";
import { alertTimeline, alerts, notifications } from "../../db/schema";
import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import { decodeCursor, encodeCursor, pastCursor } from "../../lib/pagination";
import type { AppRouteHandler } from "../../lib/types";
import type { AlertActionResult } from "../../tenant/tenant-object";
import type { AlertAction, acknowledgeAlert, getAlert, listAlerts } from "./alerts.routes";
import { presentAlert } from "./alerts.schemas";
import { presentNotification } from "./notifications.schemas";
import { CURSOR_ID, iso, notFound } from "./shared";

/** D1's copy of the alerts, which the tenant's object keeps up to date. */
export const listAlertsHandler: AppRouteHandler<typeof listAlerts> = async (c) => {
	const q = c.req.valid("query");
	const where: (SQL | undefined)[] = [eq(alerts.tenantId, c.get("user").tenantId)];
	if (q.status) where.push(eq(alerts.status, q.status));
	if (q.severity) where.push(eq(alerts.severity, q.severity));
	if (q.rule_id) where.push(eq(alerts.ruleId, q.rule_id));
	if (q.cursor) {
		const cur = decodeCursor(q.cursor, CURSOR_ID);
		where.push(pastCursor(alerts.triggeredAt, alerts.id, cur));
	}
	const rows = await db(c.env)
		.select()
		.from(alerts)
		.where(and(...where))
		.orderBy(desc(alerts.triggeredAt), desc(alerts.id))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			alerts: page.map(presentAlert),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.triggeredAt, id: last.id }) : null,
		},
		200,
	);
};

/** The alert, its timeline in the object's order, and its notifications oldest first: one D1 round trip. */
export const getAlertHandler: AppRouteHandler<typeof getAlert> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const d = db(c.env);
	const [found, timeline, sent] = await d.batch([
		d.select().from(alerts).where(and(eq(alerts.id, id), eq(alerts.tenantId, tenantId))),
		d
			.select()
			.from(alertTimeline)
			.where(and(eq(alertTimeline.tenantId, tenantId), eq(alertTimeline.alertId, id)))
			.orderBy(asc(alertTimeline.seq)),
		d
			.select()
			.from(notifications)
			.where(and(eq(notifications.tenantId, tenantId), eq(notifications.alertId, id)))
			.orderBy(asc(notifications.createdAt), asc(notifications.id)),
	]);
	const alert = found[0];
	if (!alert) throw notFound("alert", id);
	return c.json(
		{
			...presentAlert(alert),
			// `at` and `type` are the entry's own: data cannot overwrite them.
			timeline: timeline.map((e) => ({ ...(e.data ?? {}), at: iso(e.at), type: e.type })),
			notifications: sent.map(presentNotification),
		},
		200,
	);
};

/**
 * The tenant's object is the one authority on an alert's state, so it is
 * asked first (the caller's own tenant: an alert opened a moment ago, not
 * yet in D1's copy, can be acted on at once). Only when it does not know the
 * id is D1 asked: an old resolved alert the object has forgotten is a 409,
 * anything else (another tenant's id included) a 404.
 */
export function alertActionHandler(action: AlertAction): AppRouteHandler<typeof acknowledgeAlert> {
	return async (c) => {
		const user = c.get("user");
		const tenantId = user.tenantId;
		const { id } = c.req.valid("param");
		const { note } = c.req.valid("json");
		const stub = tenantStub(c.env, tenantId);
		const by = { user_id: user.userId, email: user.email };
		let result: AlertActionResult;
		if (action === "acknowledge") result = await stub.acknowledgeAlert(tenantId, id, by, note);
		else if (action === "resolve") result = await stub.resolveAlert(tenantId, id, by, note);
		else result = await stub.escalateAlert(tenantId, id, by, note);
		if (!result.ok) {
			const known =
				result.reason === "not_found"
					? await db(c.env)
							.select({ status: alerts.status })
							.from(alerts)
							.where(and(eq(alerts.id, id), eq(alerts.tenantId, tenantId)))
							.get()
					: { status: "resolved" as const };
			if (known?.status === "resolved") throw new ApiError({ code: "CONFLICT", message: "The alert is already resolved." });
			throw notFound("alert", id);
		}
		return c.json(result.alert, 200);
	};
}
