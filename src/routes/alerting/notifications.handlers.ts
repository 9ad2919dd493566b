import { type SQL, and, desc, eq } from "drizzle-orm";
import { db } from "../../db/client";
import { notifications } from "../../db/schema";
import { decodeCursor, encodeCursor, pastCursor } from "../../lib/pagination";
import type { AppRouteHandler } from "../../lib/types";
import type { listNotifications } from "./notifications.routes";
import { presentNotification } from "./notifications.schemas";
import { CURSOR_ID } from "./shared";

/** D1's copy, kept by the tenant's object as deliveries progress. */
export const listNotificationsHandler: AppRouteHandler<typeof listNotifications> = async (c) => {
	const q = c.req.valid("query");
	const where: (SQL | undefined)[] = [eq(notifications.tenantId, c.get("user").tenantId)];
	if (q.alert_id) where.push(eq(notifications.alertId, q.alert_id));
	if (q.channel_id) where.push(eq(notifications.channelId, q.channel_id));
	if (q.status) where.push(eq(notifications.status, q.status));
	if (q.kind) where.push(eq(notifications.kind, q.kind));
	if (q.cursor) {
		const cur = decodeCursor(q.cursor, CURSOR_ID);
		where.push(pastCursor(notifications.createdAt, notifications.id, cur));
	}
	const rows = await db(c.env)
		.select()
		.from(notifications)
		.where(and(...where))
		.orderBy(desc(notifications.createdAt), desc(notifications.id))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			notifications: page.map(presentNotification),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null,
		},
		200,
	);
};
