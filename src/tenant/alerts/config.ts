import type { AlertingSnapshot, Channel, Policy, Rule, Silence } from "../../alerting/types";

/**
 * The tenant's alerting configuration as the object holds it: a copy of
 * D1's (rules, channels, policies, silences), handed over by the routes
 * after every change and kept in storage so evaluation never asks D1.
 * Versioned like the settings: an older snapshot arriving late is ignored.
 */
export class AlertConfig {
	private snapshot: AlertingSnapshot | null;
	rules = new Map<string, Rule>();
	channels = new Map<string, Channel>();
	policies = new Map<string, Policy>();

	constructor(private readonly sql: SqlStorage) {
		this.snapshot = null;
		this.reload();
	}

	/** Reads the stored copy again (after a rolled-back transaction: memory must not keep what storage did not). */
	reload(): void {
		const row = this.sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'alerting'").toArray()[0];
		this.snapshot = row ? (JSON.parse(row.v) as AlertingSnapshot) : null;
		this.index();
	}

	/** True once a snapshot was ever received (else the object should load one from D1). */
	loaded(): boolean {
		return this.snapshot !== null;
	}

	version(): number {
		return this.snapshot?.version ?? -1;
	}

	/** Stores a newer snapshot; returns false (and changes nothing) for an older or equal one. */
	apply(snapshot: AlertingSnapshot): boolean {
		if (this.snapshot && snapshot.version <= this.snapshot.version) return false;
		this.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES ('alerting', ?)", JSON.stringify(snapshot));
		this.snapshot = snapshot;
		this.index();
		return true;
	}

	enabledRules(): Rule[] {
		return [...this.rules.values()].filter((r) => r.enabled);
	}

	/** The silence that mutes `rule` at `now`, if any: its rule_id (when set) and every label it names must match. */
	silencing(rule: Pick<Rule, "id" | "labels">, now: number): Silence | null {
		for (const s of this.snapshot?.silences ?? []) {
			if (now < s.starts_at || now >= s.ends_at) continue;
			if (s.rule_id !== null && s.rule_id !== rule.id) continue;
			if (s.labels && Object.entries(s.labels).some(([k, v]) => rule.labels[k] !== v)) continue;
			return s;
		}
		return null;
	}

	private index(): void {
		this.rules = new Map((this.snapshot?.rules ?? []).map((r) => [r.id, r]));
		this.channels = new Map((this.snapshot?.channels ?? []).map((c) => [c.id, c]));
		this.policies = new Map((this.snapshot?.policies ?? []).map((p) => [p.id, p]));
	}
}
