import { z } from "@hono/zod-openapi";
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES, type NotificationRow } from "../../db/schema";
import { LimitQuery } from "../../lib/pagination";
import { RefId, iso } from "./shared";

export const NotificationSchema = z
	.object({
		id: z.string().openapi({ description: "Stable across delivery attempts (the webhook's X-PulseStream-Delivery)" }),
		alert_id: z.string().nullable().openapi({ description: "null for a channel test" }),
		channel_id: z.string(),
		kind: z.enum(NOTIFICATION_KINDS),
		status: z.enum(NOTIFICATION_STATUSES).openapi({ description: "`silenced`: recorded while a silence matched, never sent" }),
		attempts: z.number().int(),
		last_error: z.string().nullable(),
		created_at: z.string(),
		delivered_at: z.string().nullable(),
	})
	.openapi("Notification");

export const NotificationListSchema = z
	.object({ notifications: z.array(NotificationSchema), next_cursor: z.string().nullable() })
	.openapi("NotificationList");

export const NotificationQuery = z.object({
	alert_id: RefId.optional(),
	channel_id: RefId.optional(),
	status: z.enum(NOTIFICATION_STATUSES).optional(),
	kind: z.enum(NOTIFICATION_KINDS).optional(),
	limit: LimitQuery(500, 50),
	cursor: z.string().max(512).optional(),
});

export function presentNotification(n: NotificationRow): z.infer<typeof NotificationSchema> {
	return {
		id: n.id,
		alert_id: n.alertId,
		channel_id: n.channelId,
		kind: n.kind,
		status: n.status,
		attempts: n.attempts,
		last_error: n.lastError,
		created_at: iso(n.createdAt),
		delivered_at: iso(n.deliveredAt),
	};
}
