import type { AlertStatus, AlertView, Rule } from "../../alerting/types";
import { newId } from "../../lib/crypto";
import { iso } from "../../lib/time";

/** An alert as the object stores it (times epoch ms). */
export type AlertRecord = {
	id: string;
	rule_id: string;
	rule_name: string;
	rule_description: string | null;
	runbook_url: string | null;
	severity: Rule["severity"];
	status: AlertStatus;
	metric: Rule["condition"]["metric"];
	value: number | null;
	threshold: number;
	labels: Record<string, string>;
	escalation_policy_id: string | null;
	triggered_at: number;
	acknowledged_at: number | null;
	acknowledged_by: string | null;
	resolved_at: number | null;
	escalation_level: number;
	updated_at: number;
};


export function presentAlert(a: AlertRecord): AlertView {
	return {
		id: a.id,
		rule_id: a.rule_id,
		rule_name: a.rule_name,
		severity: a.severity,
		status: a.status,
		metric: a.metric,
		value: a.value,
		threshold: a.threshold,
		labels: a.labels,
		triggered_at: new Date(a.triggered_at).toISOString(),
		acknowledged_at: iso(a.acknowledged_at),
		acknowledged_by: a.acknowledged_by,
		resolved_at: iso(a.resolved_at),
		escalation_level: a.escalation_level,
	};
}

/** Resolved alerts (with their timeline and notifications) stay in the object this long once D1 has them. */
export const KEEP_RESOLVED_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The alerts this object decided, with their timelines. The object is the
 * one writer of an alert's state, and its storage enforces "one open alert
 * per rule" (a unique partial index), so no race can open a second one.
 * Every change marks the row dirty; the records job copies dirty rows to D1.
 */
export class Alerts {
	/** Alert changes not yet told to the dashboard sockets (drained after the transaction committed). */
	private changes: AlertView[] = [];

	constructor(private readonly sql: SqlStorage) {}

	/** The changes since the last call, in order; called once they are committed. */
	drainChanges(): AlertView[] {
		const changes = this.changes;
		this.changes = [];
		return changes;
	}

	private note(alert: AlertRecord): void {
		// Bounded whatever happens to the drain: only the newest matter to a live view.
		if (this.changes.length >= 1000) this.changes.shift();
		this.changes.push(presentAlert(alert));
	}

	/** Forgets changes of a transaction that rolled back. */
	discardChanges(): void {
		this.changes = [];
	}

	get(id: string): AlertRecord | null {
		const row = this.sql.exec<{ data: string }>("SELECT data FROM alerts WHERE id = ?", id).toArray()[0];
		return row ? (JSON.parse(row.data) as AlertRecord) : null;
	}

	/** The rule's open (active or acknowledged) alert, if any. */
	openFor(ruleId: string): AlertRecord | null {
		const row = this.sql
			.exec<{ data: string }>("SELECT data FROM alerts WHERE rule_id = ? AND status != 'resolved'", ruleId)
			.toArray()[0];
		return row ? (JSON.parse(row.data) as AlertRecord) : null;
	}

	/** Open alerts, oldest first (escalation, the cron's tick). */
	open(): AlertRecord[] {
		return this.sql
			.exec<{ data: string }>("SELECT data FROM alerts WHERE status != 'resolved' ORDER BY rowid")
			.toArray()
			.map((r) => JSON.parse(r.data) as AlertRecord);
	}

	/** Open alerts counted by status and severity (the dashboard's summary and health). */
	openCounts(): { status: Exclude<AlertStatus, "resolved">; severity: Rule["severity"]; n: number }[] {
		return this.sql
			.exec<{ status: Exclude<AlertStatus, "resolved">; severity: Rule["severity"]; n: number }>(
				"SELECT status, json_extract(data, '$.severity') AS severity, count(*) AS n FROM alerts WHERE status != 'resolved' GROUP BY 1, 2",
			)
			.toArray();
	}

	/** The `limit` most recently opened alerts, any status, newest first (rowid is the order of creation). */
	newest(limit: number): AlertRecord[] {
		return this.sql
			.exec<{ data: string }>("SELECT data FROM alerts ORDER BY rowid DESC LIMIT ?", limit)
			.toArray()
			.map((r) => JSON.parse(r.data) as AlertRecord);
	}

	/** Opens an alert for `rule`; throws (the unique index) if the rule already has one open. */
	create(rule: Rule, value: number | null, now: number): AlertRecord {
		const alert: AlertRecord = {
			id: newId(),
			rule_id: rule.id,
			rule_name: rule.name,
			rule_description: rule.description,
			runbook_url: rule.runbook_url,
			severity: rule.severity,
			status: "active",
			metric: rule.condition.metric,
			value,
			threshold: rule.condition.threshold,
			labels: rule.labels,
			escalation_policy_id: rule.escalation_policy_id,
			triggered_at: now,
			acknowledged_at: null,
			acknowledged_by: null,
			resolved_at: null,
			escalation_level: 0,
			updated_at: now,
		};
		this.sql.exec(
			"INSERT INTO alerts (id, rule_id, status, data, updated_at) VALUES (?, ?, ?, ?, ?)",
			alert.id,
			alert.rule_id,
			alert.status,
			JSON.stringify(alert),
			now,
		);
		this.timeline(alert.id, now, "triggered", { value, threshold: alert.threshold });
		this.note(alert);
		return alert;
	}

	save(alert: AlertRecord, now: number): void {
		// Strictly later than its last change whatever clock the caller has (the cron's scheduled
		// time can be behind): D1's copy takes only newer rows, so it must never go backwards.
		alert.updated_at = Math.max(now, alert.updated_at + 1);
		this.sql.exec(
			"UPDATE alerts SET status = ?, data = ?, updated_at = ?, rev = rev + 1, dirty = 1 WHERE id = ?",
			alert.status,
			JSON.stringify(alert),
			alert.updated_at,
			alert.id,
		);
		this.note(alert);
	}

	/** Appends to an alert's timeline (state changes and notifications, in order). */
	timeline(alertId: string, at: number, type: string, data: Record<string, unknown> = {}): void {
		this.sql.exec(
			"INSERT INTO alert_timeline (id, alert_id, at, type, data) VALUES (?, ?, ?, ?, ?)",
			newId(),
			alertId,
			at,
			type,
			JSON.stringify(data),
		);
	}

	/** Forgets resolved alerts D1 already has, older than KEEP_RESOLVED_MS, with their timelines. */
	prune(now: number): void {
		const old = this.sql
			.exec<{ id: string }>(
				"SELECT id FROM alerts WHERE status = 'resolved' AND dirty = 0 AND updated_at < ? LIMIT 500",
				now - KEEP_RESOLVED_MS,
			)
			.toArray()
			.map((r) => r.id);
		// Test notifications (no alert) once final and in D1.
		this.sql.exec(
			"DELETE FROM notifications WHERE alert_id IS NULL AND dirty = 0 AND status != 'pending' AND created_at < ?",
			now - KEEP_RESOLVED_MS,
		);
		if (old.length === 0) return;
		const ids = JSON.stringify(old);
		this.sql.exec("DELETE FROM alert_timeline WHERE dirty = 0 AND alert_id IN (SELECT value FROM json_each(?))", ids);
		this.sql.exec(
			"DELETE FROM notifications WHERE dirty = 0 AND status != 'pending' AND alert_id IN (SELECT value FROM json_each(?))",
			ids,
		);
		this.sql.exec("DELETE FROM alerts WHERE id IN (SELECT value FROM json_each(?))", ids);
	}
}
