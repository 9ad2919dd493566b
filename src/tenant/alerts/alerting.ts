import type { AlertingSnapshot, AttemptResult, Busy, Delivery, Rule } from "../../alerting/types";
import { log } from "../../lib/log";
import type { IncomingEvent } from "../types";
import { type AlertRecord, Alerts, presentAlert } from "./alerts";
import { AlertConfig } from "./config";
import { dueSteps, nextStep } from "./escalation";
import { evaluate, initialState, nextDecisionAt, type RuleState, type Transition } from "./evaluate";
import { Notifications } from "./notifications";
import { BUCKET_MS, Windows } from "./windows";

/** Who acts on an alert through the API. */
export type Actor = { user_id: string; email: string };
export type AlertActionResult =
	| { ok: true; alert: ReturnType<typeof presentAlert> }
	| { ok: false; reason: "not_found" | "resolved" };

/** Evaluations of one rule are at least this far apart: a burst of events costs one. */
export const EVALUATE_EVERY_MS = 1_000;

/**
 * The tenant's alerting, inside its object: the configuration copy, the
 * rule windows, the pure evaluation, and the records it leads to. Each
 * change of an alert is applied in one storage transaction together with
 * the notifications it causes (outbox rows) and the rule's new state, so a
 * crash leaves either all of it or none. In-memory state (rule states,
 * windows) is reloaded from storage by reset() when a transaction throws.
 */
export class Alerting {
	readonly config: AlertConfig;
	readonly windows: Windows;
	readonly alerts: Alerts;
	readonly notifications: Notifications;
	private states = new Map<string, RuleState>();
	private planned = false;

	constructor(
		private readonly sql: SqlStorage,
		private readonly transact: <T>(fn: () => T) => T,
		tenant: () => { id: string; slug: string },
	) {
		this.config = new AlertConfig(sql);
		this.windows = new Windows(sql);
		this.alerts = new Alerts(sql);
		this.notifications = new Notifications(sql, this.config, tenant);
		this.loadStates();
	}

	/** True while some enabled rule needs evaluating (on events and on the timer). */
	active(): boolean {
		return this.config.enabledRules().length > 0;
	}

	/**
	 * Takes a newer configuration. Rules that were deleted or disabled resolve
	 * their open alert (with a resolved notification), so no incident stays
	 * open for a rule that can no longer clear it. Returns false for a stale one.
	 */
	configure(snapshot: AlertingSnapshot, now: number): boolean {
		const applied = this.guard(() =>
			this.transact(() => {
				if (!this.config.apply(snapshot)) return false;
				for (const alert of this.alerts.open()) {
					const rule = this.config.rules.get(alert.rule_id);
					if (!rule || !rule.enabled) this.resolve(alert, now, { reason: rule ? "rule disabled" : "rule deleted" });
				}
				for (const id of this.states.keys()) {
					if (!this.config.rules.get(id)?.enabled) {
						this.states.delete(id);
						this.sql.exec("DELETE FROM rule_state WHERE rule_id = ?", id);
					}
				}
				return true;
			}),
		);
		if (applied) this.planned = false;
		return applied;
	}

	/** Counts accepted events into the rule windows; true when an evaluation should follow. */
	record(events: IncomingEvent[], now: number): boolean {
		this.plan(now);
		return this.windows.record(events, now);
	}

	/**
	 * Evaluates every enabled rule at `now` and applies what follows. Returns
	 * when the next evaluation is due without new events (a bucket later, or
	 * when a pending period ends), or null when there is no enabled rule.
	 */
	evaluate(now: number): number | null {
		this.plan(now);
		let next: number | null = null;
		for (const rule of this.config.enabledRules()) {
			const figures = this.windows.figures(rule, now);
			if (!figures) continue;
			const before = this.states.get(rule.id) ?? initialState();
			const { state, transition } = evaluate(rule, figures, before, now);
			try {
				this.guard(() => this.apply(rule, before, state, transition, now));
			} catch (err) {
				// One rule that cannot be applied must not stop the others' evaluation.
				log("error", "alert rule transition failed; the rule is evaluated again next time", { rule_id: rule.id, error: String(err) });
			}
			const decision = nextDecisionAt(rule, this.states.get(rule.id) ?? state);
			if (decision !== null) next = Math.min(next ?? decision, decision);
		}
		this.windows.save(now);
		if (!this.active()) return null;
		return Math.min(next ?? Infinity, now + BUCKET_MS);
	}

	/** Acknowledges an open alert: escalation stops; PagerDuty hears of it. */
	acknowledge(alertId: string, by: Actor, note: string | undefined, now: number): AlertActionResult {
		return this.act(alertId, (alert) => {
			if (alert.status === "acknowledged") return;
			alert.status = "acknowledged";
			alert.acknowledged_at = now;
			alert.acknowledged_by = by.email;
			this.alerts.save(alert, now);
			this.alerts.timeline(alert.id, now, "acknowledged", { by: by.email, ...(note ? { note } : {}) });
			const pagerduty = this.notifications
				.notifiedChannels(alert.id)
				.filter((id) => this.config.channels.get(id)?.type === "pagerduty");
			this.notify(alert, pagerduty, "acknowledged", now);
		});
	}

	/** Resolves an open alert by hand; the rule waits out its cooldown before opening again. */
	resolveByHand(alertId: string, by: Actor, note: string | undefined, now: number): AlertActionResult {
		return this.act(alertId, (alert) => this.resolve(alert, now, { by: by.email, ...(note ? { note } : {}) }));
	}

	/** Sends the next escalation step now (or, without a policy, an escalated notice to the rule's channels). */
	escalateByHand(alertId: string, by: Actor, note: string | undefined, now: number): AlertActionResult {
		return this.act(alertId, (alert) => {
			const policy = alert.escalation_policy_id ? this.config.policies.get(alert.escalation_policy_id) : undefined;
			const step = policy ? nextStep(policy, alert.escalation_level) : null;
			const channels = policy && step !== null ? policy.steps[step]!.channel_ids : (this.config.rules.get(alert.rule_id)?.channel_ids ?? []);
			alert.escalation_level += 1;
			this.alerts.save(alert, now);
			this.alerts.timeline(alert.id, now, "escalated", { level: alert.escalation_level, by: by.email, manual: true, ...(step !== null ? { step } : {}), ...(note ? { note } : {}) });
			this.notify(alert, channels, "escalated", now);
		});
	}

	/**
	 * The every-minute cron's work for this tenant at `now`: escalation steps
	 * that came due for active, unacknowledged alerts (each sent once), and
	 * pending notifications whose queue message was lost made ready to send
	 * again. Returns how many notifications it caused or revived.
	 */
	tick(now: number): number {
		let caused = 0;
		for (const alert of this.alerts.open()) {
			if (alert.status !== "active" || !alert.escalation_policy_id) continue;
			const policy = this.config.policies.get(alert.escalation_policy_id);
			if (!policy) continue;
			const due = dueSteps(policy, alert.escalation_level, now - alert.triggered_at);
			if (due.length === 0) continue;
			this.guard(() =>
				this.transact(() => {
					for (const step of due) {
						alert.escalation_level += 1;
						this.alerts.timeline(alert.id, now, "escalated", { level: alert.escalation_level, step });
						caused += this.notify(alert, policy.steps[step]!.channel_ids, "escalated", now);
					}
					this.alerts.save(alert, now);
				}),
			);
		}
		return caused + this.notifications.requeueLost(now);
	}

	/** Records a test notification to a channel; null when there is no such channel. */
	test(channelId: string, now: number): string | null {
		if (!this.config.channels.has(channelId)) return null;
		return this.notifications.create(null, [channelId], "test", now, false)[0]?.id ?? null;
	}

	delivery(id: string, now: number): Delivery | Busy | null {
		const delivery = this.notifications.delivery(id, now);
		if (!delivery) {
			const row = this.notifications.row(id);
			// Its channel was deleted after it was recorded: nothing can deliver it.
			if (row?.status === "pending") this.attempt(id, { ok: false, error: "the channel was deleted" }, true, now);
		}
		return delivery;
	}

	attempt(id: string, result: AttemptResult, final: boolean, now: number): void {
		this.transact(() => {
			const row = this.notifications.attempt(id, result, final, now);
			if (!row?.alert_id || row.status === "pending") return;
			this.alerts.timeline(row.alert_id, now, `notification.${row.status}`, {
				notification_id: id,
				channel_id: row.channel_id,
				kind: row.kind,
				attempts: row.attempts,
				...(row.last_error && row.status === "failed" ? { last_error: row.last_error } : {}),
			});
		});
	}

	/**
	 * Forgets in-memory state after a failed transaction: rule states and the
	 * configuration are reloaded from storage. The windows are left alone:
	 * no transaction changes them (events are counted after theirs committed).
	 */
	reset(): void {
		this.alerts.discardChanges();
		this.config.reload();
		this.planned = false;
		this.loadStates();
	}

	private plan(now: number): void {
		if (this.planned) return;
		this.windows.plan(this.config.enabledRules(), now);
		this.planned = true;
	}

	private apply(rule: Rule, before: RuleState, state: RuleState, t: Transition, now: number): void {
		if (t.kind === "none") {
			this.states.set(rule.id, state);
			return;
		}
		this.transact(() => {
			if (t.kind === "open") {
				const existing = this.alerts.openFor(rule.id);
				const alert = existing ?? this.alerts.create(rule, t.value, now);
				state.alert_id = alert.id;
				if (!existing) this.notify(alert, rule.channel_ids, "triggered", now);
			} else if (t.kind === "update" || t.kind === "resolve") {
				const alert = before.alert_id ? this.alerts.get(before.alert_id) : null;
				if (alert && alert.status !== "resolved") {
					alert.value = t.value;
					if (t.kind === "resolve") this.resolve(alert, now, { value: t.value, auto: true });
					// A firing alert's value is written (and copied to D1) at most once a bucket, not every second.
					else if (now - alert.updated_at >= BUCKET_MS) this.alerts.save(alert, now);
				}
			}
			this.saveState(rule.id, state);
		});
	}

	/** Resolves `alert` (inside a transaction): its rule waits out the cooldown; every channel notified hears of it. */
	private resolve(alert: AlertRecord, now: number, data: Record<string, unknown>): void {
		alert.status = "resolved";
		alert.resolved_at = now;
		this.alerts.save(alert, now);
		this.alerts.timeline(alert.id, now, "resolved", data);
		const rule = this.config.rules.get(alert.rule_id);
		if (rule) {
			this.saveState(rule.id, { ...initialState(), cooldown_until: now + rule.cooldown_seconds * 1000 });
		}
		// Only where the alert was actually notified (Alertmanager's rule): a trigger that was silenced sends no resolution.
		this.notify(alert, this.notifications.notifiedChannels(alert.id), "resolved", now);
	}

	/** Records notifications for `alert` on `channels` (silenced ones as such) with a timeline entry each. */
	private notify(alert: AlertRecord, channels: string[], kind: "triggered" | "resolved" | "escalated" | "acknowledged", now: number): number {
		const silence = this.config.silencing({ id: alert.rule_id, labels: alert.labels }, now);
		const created = this.notifications.create(alert, channels, kind, now, silence !== null);
		for (const n of created) {
			this.alerts.timeline(alert.id, now, "notification", {
				notification_id: n.id,
				channel_id: n.channel_id,
				kind,
				status: n.status,
				...(silence ? { silence_id: silence.id } : {}),
			});
		}
		return created.filter((n) => n.status === "pending").length;
	}

	private act(alertId: string, change: (alert: AlertRecord) => void): AlertActionResult {
		const alert = this.alerts.get(alertId);
		if (!alert) return { ok: false, reason: "not_found" };
		if (alert.status === "resolved") return { ok: false, reason: "resolved" };
		this.guard(() => this.transact(() => change(alert)));
		return { ok: true, alert: presentAlert(alert) };
	}

	private saveState(ruleId: string, state: RuleState): void {
		this.sql.exec("INSERT OR REPLACE INTO rule_state (rule_id, state) VALUES (?, ?)", ruleId, JSON.stringify(state));
		this.states.set(ruleId, state);
	}

	private loadStates(): void {
		this.states = new Map(
			this.sql
				.exec<{ rule_id: string; state: string }>("SELECT rule_id, state FROM rule_state")
				.toArray()
				.map((r) => [r.rule_id, JSON.parse(r.state) as RuleState]),
		);
	}

	/** Runs `fn`; when it throws, in-memory state rolls back with the transaction before the error goes on. */
	private guard<T>(fn: () => T): T {
		try {
			return fn();
		} catch (err) {
			this.reset();
			throw err;
		}
	}
}
