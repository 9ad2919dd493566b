import type { AlertingSnapshot, Channel, Rule, RuleCondition } from "../../../src/alerting/types";

let n = 0;

/** A rule with the contract's defaults; override what a test is about. */
export function rule(condition: Partial<RuleCondition> = {}, overrides: Partial<Rule> = {}): Rule {
	n++;
	return {
		id: `rule${n.toString().padStart(4, "0")}`,
		name: `rule ${n}`,
		description: null,
		enabled: true,
		severity: "critical",
		condition: { metric: "error_rate", operator: "gt", threshold: 0.1, window_seconds: 60, ...condition },
		for_seconds: 0,
		resolve_threshold: null,
		no_data: "ok",
		labels: {},
		runbook_url: null,
		channel_ids: [],
		escalation_policy_id: null,
		cooldown_seconds: 300,
		auto_resolve: true,
		created_at: 0,
		updated_at: 0,
		...overrides,
	};
}

export function webhook(id: string, url = "http://receiver.test/ok/default"): Channel {
	return { id, name: id, type: "webhook", config: { url, secret: "whsec_test" } };
}

export function snapshot(version: number, parts: Partial<AlertingSnapshot>): AlertingSnapshot {
	return { version, rules: [], channels: [], policies: [], silences: [], ...parts };
}
