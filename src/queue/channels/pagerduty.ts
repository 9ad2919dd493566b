import type { AlertSeverity, AttemptResult, Delivery, PagerDutyConfig } from "../../alerting/types";
import { type PostOptions, postBounded } from "../http";
import { alertLink, formatValue, oneLine } from "./format";

/** PagerDuty Events API v2; PAGERDUTY_EVENTS_URL overrides it for tests and local runs. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

type EventAction = "trigger" | "acknowledge" | "resolve";

/** Ours map onto PagerDuty's critical, error, warning, info (we have no "error"). */
const SEVERITY: Record<AlertSeverity, "critical" | "warning" | "info"> = {
	critical: "critical",
	warning: "warning",
	info: "info",
};

/** A PagerDuty Events API v2 event (`payload` only on trigger). */
export type PagerDutyEvent = {
	routing_key: string;
	event_action: EventAction;
	dedup_key: string;
	payload?: {
		summary: string;
		source: "pulsestream";
		severity: "critical" | "warning" | "info";
		timestamp: string;
		component?: string;
		custom_details: Record<string, unknown>;
	};
	links?: { href: string; text: string }[];
	client?: "PulseStream";
	client_url?: string;
};

/**
 * The event for a delivery. The alert id is the `dedup_key`, so PagerDuty's
 * incident follows ours: escalations re-trigger the same incident, and our
 * acknowledge and resolve close it. A channel test triggers its own
 * incident (`test-<notification id>`) so it never touches a real one.
 */
export function pagerDutyEvent(delivery: Delivery, config: PagerDutyConfig, appUrl?: string): PagerDutyEvent {
	const { body, kind } = delivery;
	const alert = body.alert;
	if (kind === "test" || !alert) {
		return {
			routing_key: config.routing_key,
			event_action: "trigger",
			dedup_key: `test-${delivery.notification_id}`,
			payload: {
				summary: oneLine(`[PulseStream] Test notification for channel "${delivery.channel.name}" (tenant ${body.tenant.slug})`, 1024),
				source: "pulsestream",
				severity: "info",
				timestamp: body.sent_at,
				component: "test",
				custom_details: { test: true, tenant: body.tenant },
			},
			client: "PulseStream",
		};
	}
	const action: EventAction = kind === "acknowledged" ? "acknowledge" : kind === "resolved" ? "resolve" : "trigger";
	// Acknowledge and resolve carry only the key: PagerDuty ignores a payload there.
	if (action !== "trigger") return { routing_key: config.routing_key, event_action: action, dedup_key: alert.id };
	const value = formatValue(alert.metric, alert.value);
	const threshold = formatValue(alert.metric, alert.threshold);
	const links: { href: string; text: string }[] = [];
	if (alert.runbook_url) links.push({ href: alert.runbook_url, text: "Runbook" });
	const alertUrl = alertLink(appUrl, alert.id);
	const event: PagerDutyEvent = {
		routing_key: config.routing_key,
		event_action: "trigger",
		dedup_key: alert.id,
		payload: {
			summary: oneLine(`[${alert.severity.toUpperCase()}] ${alert.rule_name}: ${alert.metric} is ${value} (threshold ${threshold})`, 1024),
			source: "pulsestream",
			severity: SEVERITY[alert.severity] ?? "warning",
			timestamp: alert.triggered_at,
			component: alert.rule_name,
			custom_details: {
				metric: alert.metric,
				value: alert.value,
				threshold: alert.threshold,
				labels: alert.labels ?? {},
				runbook_url: alert.runbook_url,
				tenant: body.tenant,
				...(kind === "escalated" ? { escalation_level: alert.escalation_level } : {}),
			},
		},
		client: "PulseStream",
	};
	if (links.length > 0) event.links = links;
	if (alertUrl) event.client_url = alertUrl;
	return event;
}

/**
 * Delivers to PagerDuty. It answers 202 on success, 400 to an event it will
 * never accept (permanent) and 429 or 5xx when it is busy (retried), which
 * is postBounded's general rule.
 */
export async function sendPagerDuty(
	env: Env,
	delivery: Delivery,
	config: PagerDutyConfig,
	options?: PostOptions,
): Promise<AttemptResult> {
	const event = pagerDutyEvent(delivery, config, env.APP_URL);
	return postBounded(
		env.PAGERDUTY_EVENTS_URL || PAGERDUTY_EVENTS_URL,
		{ headers: { "Content-Type": "application/json" }, body: JSON.stringify(event) },
		env,
		options,
	);
}
