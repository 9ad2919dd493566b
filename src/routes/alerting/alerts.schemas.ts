import { z } from "@hono/zod-openapi";
import { ALERT_SEVERITIES, type AlertView, type Metric } from "../../alerting/types";
import type { AlertRow } from "../../db/schema";
import { LimitQuery } from "../../lib/pagination";
import { NotificationSchema } from "./notifications.schemas";
import { RefId, iso } from "./shared";

export const ALERT_STATUSES = ["active", "acknowledged", "resolved"] as const;

export const AlertSchema = z
	.object({
		id: z.string(),
		rule_id: z.string(),
		rule_name: z.string(),
		severity: z.enum(ALERT_SEVERITIES),
		status: z.enum(ALERT_STATUSES),
		metric: z.string(),
		value: z.number().nullable().openapi({ description: "The metric's value when the alert opened (null: no data)" }),
		threshold: z.number(),
		labels: z.record(z.string(), z.string()),
		triggered_at: z.string(),
		acknowledged_at: z.string().nullable(),
		acknowledged_by: z.string().nullable(),
		resolved_at: z.string().nullable(),
		escalation_level: z.number().int(),
	})
	.openapi("Alert");

export const TimelineEntrySchema = z
	.object({ at: z.string(), type: z.string().openapi({ example: "acknowledged" }) })
	.catchall(z.unknown())
	.openapi("AlertTimelineEntry", { description: "A state change or notification, with what it carried" });

export const AlertDetailSchema = AlertSchema.extend({
	timeline: z.array(TimelineEntrySchema),
	notifications: z.array(NotificationSchema),
}).openapi("AlertDetail");

export const AlertListSchema = z
	.object({ alerts: z.array(AlertSchema), next_cursor: z.string().nullable() })
	.openapi("AlertList");

export const AlertQuery = z.object({
	status: z.enum(ALERT_STATUSES).optional(),
	severity: z.enum(ALERT_SEVERITIES).optional(),
	rule_id: RefId.optional(),
	limit: LimitQuery(500, 50),
	cursor: z.string().max(512).optional(),
});

export const AlertActionSchema = z
	.strictObject({ note: z.string().max(1000).optional() })
	.openapi("AlertAction", { description: "Optional: the action may be sent with no body at all" });

export function presentAlert(a: AlertRow): AlertView {
	return {
		id: a.id,
		rule_id: a.ruleId,
		rule_name: a.ruleName,
		severity: a.severity,
		status: a.status,
		metric: a.metric as Metric,
		value: a.value,
		threshold: a.threshold,
		labels: a.labels,
		triggered_at: iso(a.triggeredAt),
		acknowledged_at: iso(a.acknowledgedAt),
		acknowledged_by: a.acknowledgedBy,
		resolved_at: iso(a.resolvedAt),
		escalation_level: a.escalationLevel,
	};
}
