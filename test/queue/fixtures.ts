import type { Channel, Delivery, NotificationKind, WebhookBody } from "../../src/alerting/types";

const TYPE: Record<NotificationKind, WebhookBody["type"]> = {
	triggered: "alert.triggered",
	resolved: "alert.resolved",
	escalated: "alert.escalated",
	acknowledged: "alert.acknowledged",
	test: "test",
};

/** An alert as deliveries carry it: a critical error-rate alert with a runbook and labels. */
export function sampleAlert(overrides: Partial<NonNullable<WebhookBody["alert"]>> = {}): NonNullable<WebhookBody["alert"]> {
	return {
		id: "alert-1",
		rule_id: "rule-1",
		rule_name: "High error rate",
		rule_description: "Checkout errors above 5%",
		severity: "critical",
		status: "active",
		metric: "error_rate",
		value: 0.125,
		threshold: 0.05,
		labels: { team: "payments", env: "prod" },
		triggered_at: "2026-11-23T10:00:00.000Z",
		acknowledged_at: null,
		acknowledged_by: null,
		resolved_at: null,
		escalation_level: 0,
		runbook_url: "https://runbooks.example.com/checkout-errors",
		...overrides,
	};
}

/** A delivery of `kind` on `channel` (a test carries no alert). */
export function sampleDelivery(
	channel: Channel,
	kind: NotificationKind = "triggered",
	alert: WebhookBody["alert"] | undefined = undefined,
): Delivery {
	const id = `ntf-${crypto.randomUUID()}`;
	return {
		notification_id: id,
		kind,
		channel,
		attempts: 0,
		body: {
			id,
			type: TYPE[kind],
			alert: alert === undefined ? (kind === "test" ? null : sampleAlert()) : alert,
			tenant: { id: "tenant-1", slug: "acme" },
			sent_at: "2026-11-23T10:00:05.000Z",
		},
	};
}
