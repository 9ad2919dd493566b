import { type AttemptResult, type Busy, type Delivery, type NotificationKind, type NotificationStatus, type WebhookBody, isDeadLetter } from "../../alerting/types";
import { newId } from "../../lib/crypto";
import type { AlertRecord } from "./alerts";
import { presentAlert } from "./alerts";
import type { AlertConfig } from "./config";

type Row = {
	id: string;
	alert_id: string | null;
	channel_id: string;
	kind: NotificationKind;
	status: NotificationStatus;
	attempts: number;
	last_error: string | null;
	body: string;
	created_at: number;
	updated_at: number;
	queued_at: number | null;
	leased_until: number | null;
};

/** A pending notification with no attempt and no queue activity for this long lost its message: sent again. */
export const LOST_AFTER_MS = 3 * 60 * 1000;
/** How long one attempt holds its notification: an attempt is at most 10 s (queue/http.ts). */
const LEASE_MS = 30_000;

const WEBHOOK_TYPE: Record<NotificationKind, WebhookBody["type"]> = {
	triggered: "alert.triggered",
	resolved: "alert.resolved",
	escalated: "alert.escalated",
	acknowledged: "alert.acknowledged",
	test: "test",
};

/**
 * The notification outbox. A notification is a row here (status
 * `pending`, a stable id) written in the same transaction as the change
 * that causes it; the notify job then sends its message to the Queue, and
 * the consumer asks for the row (delivery) and reports every attempt. The
 * body is fixed when the notification is created, so retries send the same
 * alert snapshot; only `sent_at` is stamped per attempt.
 */
export class Notifications {
	constructor(
		private readonly sql: SqlStorage,
		private readonly config: AlertConfig,
		private readonly tenant: () => { id: string; slug: string },
	) {}

	/**
	 * Records one notification per channel that still exists. A silenced one is
	 * recorded as `silenced` and never queued. Returns the ids in order.
	 */
	create(
		alert: AlertRecord | null,
		channelIds: string[],
		kind: NotificationKind,
		now: number,
		silenced: boolean,
	): { id: string; channel_id: string; status: NotificationStatus }[] {
		const created: { id: string; channel_id: string; status: NotificationStatus }[] = [];
		for (const channelId of new Set(channelIds)) {
			if (!this.config.channels.has(channelId)) continue;
			const id = newId();
			const status: NotificationStatus = silenced ? "silenced" : "pending";
			const body: Omit<WebhookBody, "sent_at"> = {
				id,
				type: WEBHOOK_TYPE[kind],
				alert: alert ? { ...presentAlert(alert), runbook_url: alert.runbook_url, rule_description: alert.rule_description } : null,
				tenant: this.tenant(),
			};
			this.sql.exec(
				"INSERT INTO notifications (id, alert_id, channel_id, kind, status, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				id,
				alert?.id ?? null,
				channelId,
				kind,
				status,
				JSON.stringify(body),
				now,
				now,
			);
			created.push({ id, channel_id: channelId, status });
		}
		return created;
	}

	/** Channels an alert was notified on (triggered or escalated, not silenced), so its resolution reaches the same places. */
	notifiedChannels(alertId: string): string[] {
		return this.sql
			.exec<{ channel_id: string }>(
				"SELECT DISTINCT channel_id FROM notifications WHERE alert_id = ? AND kind IN ('triggered', 'escalated') AND status != 'silenced'",
				alertId,
			)
			.toArray()
			.map((r) => r.channel_id);
	}

	/** Pending notifications whose message was never sent to the Queue, oldest first. */
	unqueued(limit = 100): string[] {
		return this.sql
			.exec<{ id: string }>(
				"SELECT id FROM notifications WHERE status = 'pending' AND queued_at IS NULL ORDER BY created_at LIMIT ?",
				limit,
			)
			.toArray()
			.map((r) => r.id);
	}

	markQueued(ids: string[], now: number): void {
		this.sql.exec(
			"UPDATE notifications SET queued_at = ? WHERE id IN (SELECT value FROM json_each(?))",
			now,
			JSON.stringify(ids),
		);
	}

	/**
	 * Pending notifications whose message seems lost (local Queues keep
	 * messages in memory; a restart drops them): queued, but with no attempt
	 * reported for LOST_AFTER_MS. They are made unqueued again, so the notify
	 * job sends a new message. Returns how many.
	 */
	requeueLost(now: number): number {
		return this.sql.exec(
			"UPDATE notifications SET queued_at = NULL WHERE status = 'pending' AND queued_at IS NOT NULL AND queued_at < ?1 AND updated_at < ?1",
			now - LOST_AFTER_MS,
		).rowsWritten;
	}

	hasPending(): boolean {
		return this.sql.exec("SELECT 1 FROM notifications WHERE status = 'pending' LIMIT 1").toArray().length > 0;
	}

	/**
	 * What one delivery attempt needs; null when the notification is unknown,
	 * final, or its channel is gone. An attempt holds the notification for
	 * LEASE_MS (longer than an attempt can take) until its outcome is
	 * reported: a second message for it meanwhile (one sent again as lost)
	 * is answered busy, so the queue retries it later, and it is never sent twice at once.
	 */
	delivery(id: string, now: number): Delivery | Busy | null {
		const row = this.row(id);
		if (!row || row.status !== "pending") return null;
		const channel = this.config.channels.get(row.channel_id);
		if (!channel) return null;
		if ((row.leased_until ?? 0) > now) return { busy: true };
		this.sql.exec("UPDATE notifications SET leased_until = ? WHERE id = ?", now + LEASE_MS, id);
		const body = { ...(JSON.parse(row.body) as Omit<WebhookBody, "sent_at">), sent_at: new Date(now).toISOString() };
		return { notification_id: id, kind: row.kind, channel, body, attempts: row.attempts };
	}

	/**
	 * Records an attempt. Success makes it `delivered`; a failure keeps it
	 * `pending` with `last_error`, or makes it `failed` when `final`. A report
	 * for a notification that is already final changes nothing (a duplicate
	 * message, a late dead letter). Returns the row as it ends up, or null.
	 */
	attempt(id: string, result: AttemptResult, final: boolean, now: number): Row | null {
		const row = this.row(id);
		if (!row || row.status !== "pending") return null;
		// A dead letter is the platform giving up, not an attempt: it keeps the receiver's own error.
		const deadLetter = isDeadLetter(result);
		const attempts = row.attempts + (deadLetter ? 0 : 1);
		const status: NotificationStatus = result.ok ? "delivered" : final ? "failed" : "pending";
		const lastError = result.ok ? row.last_error : deadLetter && row.last_error ? row.last_error : result.error.slice(0, 1000);
		// Strictly later than the row's last change: D1's copy takes only newer rows.
		now = Math.max(now, row.updated_at + 1);
		this.sql.exec(
			`UPDATE notifications SET status = ?, attempts = ?, last_error = ?, delivered_at = ?, updated_at = ?,
			   leased_until = NULL, rev = rev + 1, dirty = 1 WHERE id = ?`,
			status,
			attempts,
			lastError,
			result.ok ? now : null,
			now,
			id,
		);
		return { ...row, status, attempts, last_error: lastError, updated_at: now };
	}

	/** Marks a notification failed without an attempt (its channel was deleted before delivery). */
	fail(id: string, error: string, now: number): Row | null {
		return this.attempt(id, { ok: false, error }, true, now);
	}

	row(id: string): Row | null {
		return this.sql.exec<Row>("SELECT * FROM notifications WHERE id = ?", id).toArray()[0] ?? null;
	}
}
