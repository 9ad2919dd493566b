/**
 * The alerting model shared by the REST routes, the tenant's object and the
 * queue consumer. Configuration travels in the API's own (snake_case) shape,
 * with times as epoch milliseconds.
 */

export const METRICS = [
	"event_count",
	"error_count",
	"error_rate",
	"latency_avg",
	"latency_p50",
	"latency_p95",
	"latency_p99",
] as const;
export const OPERATORS = ["gt", "gte", "lt", "lte"] as const;
export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export const NO_DATA = ["ok", "alerting", "keep"] as const;
export const CHANNEL_TYPES = ["webhook", "slack", "email", "pagerduty"] as const;

export type Metric = (typeof METRICS)[number];
export type Operator = (typeof OPERATORS)[number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type NoDataPolicy = (typeof NO_DATA)[number];
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export type RuleFilter = {
	event_type?: string;
	source?: string;
	endpoint?: string;
	method?: string;
};

export type RuleCondition = {
	metric: Metric;
	operator: Operator;
	threshold: number;
	window_seconds: number;
	filter?: RuleFilter | null;
};

export type Rule = {
	id: string;
	name: string;
	description: string | null;
	enabled: boolean;
	severity: AlertSeverity;
	condition: RuleCondition;
	for_seconds: number;
	resolve_threshold: number | null;
	no_data: NoDataPolicy;
	labels: Record<string, string>;
	runbook_url: string | null;
	channel_ids: string[];
	escalation_policy_id: string | null;
	cooldown_seconds: number;
	auto_resolve: boolean;
	created_at: number;
	updated_at: number;
};

export type WebhookConfig = { url: string; secret: string };
export type SlackConfig = { webhook_url: string };
export type EmailConfig = { to: string[] };
export type PagerDutyConfig = { routing_key: string };

export type Channel =
	| { id: string; name: string; type: "webhook"; config: WebhookConfig }
	| { id: string; name: string; type: "slack"; config: SlackConfig }
	| { id: string; name: string; type: "email"; config: EmailConfig }
	| { id: string; name: string; type: "pagerduty"; config: PagerDutyConfig };

export type EscalationStep = { delay_seconds: number; channel_ids: string[] };
export type Policy = { id: string; name: string; steps: EscalationStep[]; repeat: number };

export type Silence = {
	id: string;
	rule_id: string | null;
	labels: Record<string, string> | null;
	starts_at: number;
	ends_at: number;
	comment: string;
};

/**
 * Everything the object needs to evaluate and notify, read from D1 in one
 * go. `version` is tenants.alerting_version: an older snapshot arriving late
 * is ignored, so racing changes leave the object agreeing with D1.
 */
export type AlertingSnapshot = {
	version: number;
	rules: Rule[];
	channels: Channel[];
	policies: Policy[];
	silences: Silence[];
};

export type AlertStatus = "active" | "acknowledged" | "resolved";

/** An alert as the API shows it (times ISO-8601). */
export type AlertView = {
	id: string;
	rule_id: string;
	rule_name: string;
	severity: AlertSeverity;
	status: AlertStatus;
	metric: Metric;
	value: number | null;
	threshold: number;
	labels: Record<string, string>;
	triggered_at: string;
	acknowledged_at: string | null;
	acknowledged_by: string | null;
	resolved_at: string | null;
	escalation_level: number;
};

export type NotificationKind = "triggered" | "resolved" | "escalated" | "acknowledged" | "test";
export type NotificationStatus = "pending" | "delivered" | "failed" | "silenced";

/** A queue message: which notification of which tenant to deliver. The object holds the rest. */
export type NotifyMessage = { t: string; n: string };

/** The body of a webhook delivery (the contract's payload). */
export type WebhookBody = {
	id: string;
	type: "alert.triggered" | "alert.resolved" | "alert.escalated" | "alert.acknowledged" | "test";
	alert: (AlertView & { runbook_url: string | null; rule_description: string | null }) | null;
	tenant: { id: string; slug: string };
	sent_at: string;
};

/**
 * What the queue consumer gets from the tenant's object to make one attempt:
 * the channel (with its secret) and the body to send. Null when the
 * notification is unknown or already final (delivered, failed, silenced).
 */
export type Delivery = {
	notification_id: string;
	kind: NotificationKind;
	channel: Channel;
	body: WebhookBody;
	/** Attempts made before this one. */
	attempts: number;
};

/** The object's answer when another attempt of the notification is in flight: try again later. */
export type Busy = { busy: true };

/** The outcome of one attempt, reported back to the object. */
export type AttemptResult =
	| { ok: true }
	| { ok: false; error: string; /** true: retrying cannot help (a 4xx, a forbidden host) */ permanent?: boolean };

/** Every dead-letter result's error starts with this (see isDeadLetter). */
export const DEAD_LETTER_PREFIX = "dead-lettered";

/**
 * A result for which this is true is not an attempt but the platform giving
 * up (the dead-letter queue): the object marks the notification failed,
 * counts no attempt, and keeps a `last_error` already set, since the
 * receiver's own error says more than "dead-lettered".
 */
export function isDeadLetter(result: AttemptResult): boolean {
	return !result.ok && result.error.startsWith(DEAD_LETTER_PREFIX);
}
