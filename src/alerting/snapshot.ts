import { eq } from "drizzle-orm";
import { db } from "../db/client";
import { alertChannels, alertRules, escalationPolicies, silences, tenants } from "../db/schema";
import type { AlertChannelRow, AlertRuleRow } from "../db/alerting";
import { tenantStub } from "../lib/auth";
import { log } from "../lib/log";
import type { AlertingSnapshot, Channel, Rule, RuleCondition } from "./types";

export function ruleOf(r: AlertRuleRow): Rule {
	return {
		id: r.id,
		name: r.name,
		description: r.description,
		enabled: r.enabled,
		severity: r.severity,
		condition: r.condition as RuleCondition,
		for_seconds: r.forSeconds,
		resolve_threshold: r.resolveThreshold,
		no_data: r.noData,
		labels: r.labels,
		runbook_url: r.runbookUrl,
		channel_ids: r.channelIds,
		escalation_policy_id: r.escalationPolicyId,
		cooldown_seconds: r.cooldownSeconds,
		auto_resolve: r.autoResolve,
		created_at: r.createdAt,
		updated_at: r.updatedAt,
	};
}

export function channelOf(c: AlertChannelRow): Channel {
	return { id: c.id, name: c.name, type: c.type, config: c.config } as Channel;
}

/** The tenant's whole alerting configuration as D1 has it now (null: no such tenant). */
export async function loadSnapshot(env: Env, tenantId: string): Promise<AlertingSnapshot | null> {
	const d = db(env);
	const [tenant, rules, channels, policies, silenceRows] = await d.batch([
		d.select({ version: tenants.alertingVersion }).from(tenants).where(eq(tenants.id, tenantId)),
		d.select().from(alertRules).where(eq(alertRules.tenantId, tenantId)),
		d.select().from(alertChannels).where(eq(alertChannels.tenantId, tenantId)),
		d.select().from(escalationPolicies).where(eq(escalationPolicies.tenantId, tenantId)),
		d.select().from(silences).where(eq(silences.tenantId, tenantId)),
	]);
	if (!tenant[0]) return null;
	return {
		version: tenant[0].version,
		rules: rules.map(ruleOf),
		channels: channels.map(channelOf),
		policies: policies.map((p) => ({ id: p.id, name: p.name, steps: p.steps, repeat: p.repeat })),
		silences: silenceRows.map((s) => ({
			id: s.id,
			rule_id: s.ruleId,
			labels: s.labels,
			starts_at: s.startsAt,
			ends_at: s.endsAt,
			comment: s.comment,
		})),
	};
}

/**
 * After a route changed the tenant's alerting configuration in D1 (and
 * bumped alerting_version in the same batch), hands the new snapshot to
 * the tenant's object before answering, so the next event is evaluated
 * against it. Should the object not take it, the change stays in D1 and the
 * object picks it up with the next change's snapshot or when it next starts
 * (it compares versions with D1 on every start); the failure is logged.
 */
export async function handOverAlerting(env: Env, tenantId: string): Promise<void> {
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			const snapshot = await loadSnapshot(env, tenantId);
			if (!snapshot) return;
			await tenantStub(env, tenantId).configureAlerting(tenantId, snapshot);
			return;
		} catch (err) {
			log("error", "alerting configuration could not be handed to the tenant object", {
				tenant_id: tenantId,
				attempt,
				error: String(err),
			});
		}
	}
}
