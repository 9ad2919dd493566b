import type { Delivery, Metric, NotificationKind, WebhookBody } from "../../alerting/types";

/** The alert as a delivery carries it (null on a channel test). */
export type DeliveredAlert = NonNullable<WebhookBody["alert"]>;

/**
 * The facts every human-readable channel (Slack, email) shows, worked out
 * once so they read the same everywhere.
 */
export type Facts = {
	test: boolean;
	/** "CRITICAL", "WARNING", "INFO" (or "TEST"). */
	severity: string;
	/** "triggered", "resolved", "escalated", "acknowledged", "test". */
	kind: NotificationKind;
	/** One line: "CRITICAL triggered: High error rate". */
	headline: string;
	/** "error_rate is 12.5% (threshold 5%)" or null on a test. */
	measurement: string | null;
	rule: string | null;
	description: string | null;
	status: string | null;
	labels: Record<string, string>;
	runbookUrl: string | null;
	/** Link to the alert in the dashboard, when APP_URL is set. */
	alertUrl: string | null;
	tenant: string;
	/** ISO-8601 time of the event the notification is about. */
	at: string;
	/** Extra lines ("Acknowledged by ...", "Escalation level 2"). */
	notes: string[];
};

/** Works out the facts of a delivery for a human-readable message. */
export function facts(delivery: Delivery, appUrl: string | undefined): Facts {
	const { body, kind } = delivery;
	const alert = body.alert;
	const tenant = body.tenant.slug;
	if (kind === "test" || !alert) {
		return {
			test: true,
			severity: "TEST",
			kind,
			headline: `Test notification for channel "${delivery.channel.name}"`,
			measurement: null,
			rule: null,
			description: null,
			status: null,
			labels: {},
			runbookUrl: null,
			alertUrl: null,
			tenant,
			at: body.sent_at,
			notes: [`This is a test sent from PulseStream (tenant ${tenant}) to check that this channel works; no action is needed.`],
		};
	}
	const severity = alert.severity.toUpperCase();
	const notes: string[] = [];
	if (kind === "acknowledged" && alert.acknowledged_by) notes.push(`Acknowledged by ${alert.acknowledged_by}`);
	if (kind === "escalated") notes.push(`Escalation level ${alert.escalation_level}`);
	if (kind === "resolved" && alert.resolved_at) notes.push(`Resolved at ${alert.resolved_at}`);
	return {
		test: false,
		severity,
		kind,
		headline: `${severity} ${kind}: ${alert.rule_name}`,
		measurement: `${alert.metric} is ${formatValue(alert.metric, alert.value)} (threshold ${formatValue(alert.metric, alert.threshold)})`,
		rule: alert.rule_name,
		description: alert.rule_description,
		status: alert.status,
		labels: alert.labels ?? {},
		runbookUrl: alert.runbook_url,
		alertUrl: alertLink(appUrl, alert.id),
		tenant,
		at: eventTime(kind, alert, body.sent_at),
		notes,
	};
}

/** `${APP_URL}/dashboard/alerts/${id}`, or null without APP_URL. */
export function alertLink(appUrl: string | undefined, alertId: string): string | null {
	if (!appUrl) return null;
	return `${appUrl.replace(/\/+$/, "")}/dashboard/alerts/${encodeURIComponent(alertId)}`;
}

/** Values as people read them: ratios as percentages, latencies in ms, counts whole. */
export function formatValue(metric: Metric, value: number | null): string {
	if (value === null || !Number.isFinite(value)) return "no data";
	if (metric === "error_rate") return `${round(value * 100)}%`;
	if (metric.startsWith("latency_")) return `${round(value)} ms`;
	return String(round(value));
}

/** At most 3 decimals, without trailing zeros. */
function round(n: number): number {
	return Math.round(n * 1000) / 1000;
}

function eventTime(kind: NotificationKind, alert: DeliveredAlert, fallback: string): string {
	if (kind === "resolved") return alert.resolved_at ?? fallback;
	if (kind === "acknowledged") return alert.acknowledged_at ?? fallback;
	if (kind === "triggered") return alert.triggered_at;
	return fallback;
}

/** A single line (no CR/LF) of at most `max` characters, for subjects and headers. */
export function oneLine(text: string, max: number): string {
	const flat = text.replace(/[\r\n\t]+/g, " ").trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
