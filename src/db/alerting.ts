import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Alerting in D1. Configuration (channels, rules, policies, silences) is
 * written by the REST routes and handed to the tenant's object, which
 * evaluates and decides; alerts, their timeline and notifications are
 * written by the object (the one authority on an alert's state) and
 * mirrored here for the REST routes and the cron. JSON columns hold the
 * parts that are read and written whole.
 */

/** `tenant_id` on every alerting row: every query filters on it. */
const tenantId = () => text("tenant_id").notNull();

export const alertChannels = sqliteTable(
	"alert_channels",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		name: text("name").notNull(),
		type: text("type", { enum: ["webhook", "slack", "email", "pagerduty"] }).notNull(),
		/** The channel's config as given (webhook secret included: it signs deliveries). */
		config: text("config", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
		createdAt: integer("created_at", { mode: "number" }).notNull(),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [index("alert_channels_tenant").on(t.tenantId, t.createdAt)],
);

export const escalationPolicies = sqliteTable(
	"escalation_policies",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		name: text("name").notNull(),
		steps: text("steps", { mode: "json" }).notNull().$type<{ delay_seconds: number; channel_ids: string[] }[]>(),
		repeat: integer("repeat").notNull().default(0),
		createdAt: integer("created_at", { mode: "number" }).notNull(),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [index("escalation_policies_tenant").on(t.tenantId, t.createdAt)],
);

export const alertRules = sqliteTable(
	"alert_rules",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		name: text("name").notNull(),
		description: text("description"),
		enabled: integer("enabled", { mode: "boolean" }).notNull(),
		severity: text("severity", { enum: ["info", "warning", "critical"] }).notNull(),
		condition: text("condition", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
		forSeconds: integer("for_seconds").notNull(),
		resolveThreshold: real("resolve_threshold"),
		noData: text("no_data", { enum: ["ok", "alerting", "keep"] }).notNull(),
		labels: text("labels", { mode: "json" }).notNull().$type<Record<string, string>>(),
		runbookUrl: text("runbook_url"),
		channelIds: text("channel_ids", { mode: "json" }).notNull().$type<string[]>(),
		escalationPolicyId: text("escalation_policy_id"),
		cooldownSeconds: integer("cooldown_seconds").notNull(),
		autoResolve: integer("auto_resolve", { mode: "boolean" }).notNull(),
		createdAt: integer("created_at", { mode: "number" }).notNull(),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [index("alert_rules_tenant").on(t.tenantId, t.createdAt)],
);

export const silences = sqliteTable(
	"silences",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		ruleId: text("rule_id"),
		labels: text("labels", { mode: "json" }).$type<Record<string, string>>(),
		startsAt: integer("starts_at", { mode: "number" }).notNull(),
		endsAt: integer("ends_at", { mode: "number" }).notNull(),
		comment: text("comment").notNull(),
		createdBy: text("created_by"),
		createdAt: integer("created_at", { mode: "number" }).notNull(),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [index("silences_tenant").on(t.tenantId, t.endsAt)],
);

/**
 * Alerts as the tenant's object decided them (upserted by its sync job).
 * "One open alert per rule" is enforced by the object's own storage, the
 * single writer; D1 is a copy and must never refuse one.
 */
export const alerts = sqliteTable(
	"alerts",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		ruleId: text("rule_id").notNull(),
		ruleName: text("rule_name").notNull(),
		severity: text("severity", { enum: ["info", "warning", "critical"] }).notNull(),
		status: text("status", { enum: ["active", "acknowledged", "resolved"] }).notNull(),
		metric: text("metric").notNull(),
		value: real("value"),
		threshold: real("threshold").notNull(),
		labels: text("labels", { mode: "json" }).notNull().$type<Record<string, string>>(),
		escalationPolicyId: text("escalation_policy_id"),
		triggeredAt: integer("triggered_at", { mode: "number" }).notNull(),
		acknowledgedAt: integer("acknowledged_at", { mode: "number" }),
		acknowledgedBy: text("acknowledged_by"),
		resolvedAt: integer("resolved_at", { mode: "number" }),
		escalationLevel: integer("escalation_level").notNull(),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [
		index("alerts_tenant_time").on(t.tenantId, t.triggeredAt, t.id),
		index("alerts_open").on(t.status, t.tenantId),
	],
);

/** Every state change and notification of an alert, in order. */
export const alertTimeline = sqliteTable(
	"alert_timeline",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		alertId: text("alert_id").notNull(),
		at: integer("at", { mode: "number" }).notNull(),
		/** The object's sequence number: orders entries within one millisecond. */
		seq: integer("seq").notNull(),
		type: text("type").notNull(),
		data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
	},
	(t) => [index("alert_timeline_alert").on(t.tenantId, t.alertId, t.seq)],
);

export const NOTIFICATION_KINDS = ["triggered", "resolved", "escalated", "acknowledged", "test"] as const;
export const NOTIFICATION_STATUSES = ["pending", "delivered", "failed", "silenced"] as const;

export const notifications = sqliteTable(
	"notifications",
	{
		id: text("id").primaryKey(),
		tenantId: tenantId(),
		alertId: text("alert_id"),
		channelId: text("channel_id").notNull(),
		kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
		status: text("status", { enum: NOTIFICATION_STATUSES }).notNull(),
		attempts: integer("attempts").notNull(),
		lastError: text("last_error"),
		createdAt: integer("created_at", { mode: "number" }).notNull(),
		deliveredAt: integer("delivered_at", { mode: "number" }),
		updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	},
	(t) => [
		index("notifications_tenant_time").on(t.tenantId, t.createdAt, t.id),
		index("notifications_pending").on(t.status, t.updatedAt),
	],
);

export type AlertChannelRow = typeof alertChannels.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
export type EscalationPolicyRow = typeof escalationPolicies.$inferSelect;
export type SilenceRow = typeof silences.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
