import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import type { tenantObject } from "../../helpers";
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

type Stub = ReturnType<typeof tenantObject>;

/** Rows of the tenant object's own storage. */
export function objectRows<T = Record<string, unknown>>(stub: Stub, query: string, ...params: unknown[]): Promise<T[]> {
	return runInDurableObject(stub, (_i: TenantObject, state) => state.storage.sql.exec(query, ...params).toArray() as T[]);
}

/**
 * Runs the object's alarm with rule evaluation due now: evaluations are at
 * most a second apart, and a test does not wait out that second.
 */
export async function evaluateNow(stub: Stub): Promise<void> {
	await runInDurableObject(stub, (instance: TenantObject) => {
		const i = instance as unknown as { evaluatedAt: number; scheduler: { at(job: string, at: number): void } };
		i.evaluatedAt = 0;
		i.scheduler.at("rules", Date.now());
	});
	// The object's own alarm may be running (a flush waiting on a slow D1): then there is no alarm
	// to run yet, and the rules job runs when that one ends. Wait until the rules were evaluated.
	for (let i = 0; i < 500; i++) {
		await runDurableObjectAlarm(stub);
		const evaluated = await runInDurableObject(stub, (instance: TenantObject) => (instance as unknown as { evaluatedAt: number }).evaluatedAt !== 0);
		if (evaluated) return;
		await new Promise((r) => setTimeout(r, 10));
	}
	throw new Error("the rules job did not run");
}
