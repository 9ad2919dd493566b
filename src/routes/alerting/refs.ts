import { type SQL, and, eq, sql } from "drizzle-orm";
import { db } from "../../db/client";
import { alertChannels, alertRules, escalationPolicies } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { notFound } from "./shared";

/**
 * References between alerting resources (a rule's channels and policy, a
 * policy's channels, a silence's rule), checked twice: once up front for a
 * precise error, and again as a guard inside the very statement that writes,
 * so a reference deleted meanwhile can never be stored. Id lists travel as
 * one JSON parameter (`json_each`), so a policy naming 400 channels stays
 * within D1's limit of bound parameters.
 */

const asJson = (ids: string[]) => JSON.stringify([...new Set(ids)]);

/** SQL condition: every id is a channel of the tenant. */
export function channelsExist(tenantId: string, ids: string[]): SQL {
	if (ids.length === 0) return sql`1`;
	return sql`(SELECT count(*) FROM alert_channels WHERE tenant_id = ${tenantId} AND id IN (SELECT value FROM json_each(${asJson(ids)}))) = ${new Set(ids).size}`;
}

/** SQL condition: the id (when given) is an escalation policy of the tenant. */
export function policyExists(tenantId: string, id: string | null | undefined): SQL {
	if (!id) return sql`1`;
	return sql`EXISTS (SELECT 1 FROM escalation_policies WHERE tenant_id = ${tenantId} AND id = ${id})`;
}

/** SQL condition: the id (when given) is a rule of the tenant. */
export function ruleExists(tenantId: string, id: string | null | undefined): SQL {
	if (!id) return sql`1`;
	return sql`EXISTS (SELECT 1 FROM alert_rules WHERE tenant_id = ${tenantId} AND id = ${id})`;
}

/** SQL condition: no rule and no policy step of the tenant names the channel. */
export function channelUnused(tenantId: string, channelId: string): SQL {
	return sql`NOT EXISTS (SELECT 1 FROM alert_rules r, json_each(r.channel_ids) j WHERE r.tenant_id = ${tenantId} AND j.value = ${channelId})
		AND NOT EXISTS (SELECT 1 FROM escalation_policies p, json_each(p.steps) s, json_each(s.value, '$.channel_ids') j
			WHERE p.tenant_id = ${tenantId} AND j.value = ${channelId})`;
}

/** SQL condition: no rule of the tenant escalates through the policy. */
export function policyUnused(tenantId: string, policyId: string): SQL {
	return sql`NOT EXISTS (SELECT 1 FROM alert_rules WHERE tenant_id = ${tenantId} AND escalation_policy_id = ${policyId})`;
}

/** A referenced id and the body path that named it (`channel_ids.2`, `steps.0.channel_ids.1`). */
export type Ref = { path: string; id: string };

/** 404 naming every id that is not a channel of the tenant (another tenant's included). */
export async function assertChannels(env: Env, tenantId: string, refs: Ref[]): Promise<void> {
	if (refs.length === 0) return;
	const rows = await db(env)
		.select({ id: alertChannels.id })
		.from(alertChannels)
		.where(
			and(
				eq(alertChannels.tenantId, tenantId),
				sql`${alertChannels.id} IN (SELECT value FROM json_each(${asJson(refs.map((r) => r.id))}))`,
			),
		)
		.all();
	const known = new Set(rows.map((r) => r.id));
	const missing = refs.filter((r) => !known.has(r.id));
	if (missing.length > 0) {
		throw notFound(
			"alert channel",
			missing[0]!.id,
			missing.map((m) => ({ path: m.path, message: `no alert channel with id "${m.id}"` })),
		);
	}
}

/** 404 when the id (if given) is not an escalation policy of the tenant. */
export async function assertPolicy(env: Env, tenantId: string, id: string | null | undefined): Promise<void> {
	if (!id) return;
	const row = await db(env)
		.select({ id: escalationPolicies.id })
		.from(escalationPolicies)
		.where(and(eq(escalationPolicies.tenantId, tenantId), eq(escalationPolicies.id, id)))
		.get();
	if (!row) throw notFound("escalation policy", id, [{ path: "escalation_policy_id", message: `no escalation policy with id "${id}"` }]);
}

/** 404 when the id (if given) is not a rule of the tenant. */
export async function assertRule(env: Env, tenantId: string, id: string | null | undefined): Promise<void> {
	if (!id) return;
	const row = await db(env)
		.select({ id: alertRules.id })
		.from(alertRules)
		.where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.id, id)))
		.get();
	if (!row) throw notFound("alert rule", id, [{ path: "rule_id", message: `no alert rule with id "${id}"` }]);
}

type Named = { id: string; name: string };

/**
 * 409 naming what still sends to a channel or escalates through a policy:
 * deleting it would silently stop alerting, so the caller must first take
 * it out of those rules and policies.
 */
export function stillUsed(what: string, rules: Named[], policies: Named[] = []): ApiError {
	const names = [
		...rules.map((r) => `rule "${r.name}"`),
		...policies.map((p) => `escalation policy "${p.name}"`),
	];
	return new ApiError({
		code: "CONFLICT",
		message: `The ${what} is still used by ${names.join(", ")}; remove it from them first.`,
		details: [
			...rules.map((r, i) => ({ path: `rules.${i}`, message: `rule "${r.name}" (id ${r.id})` })),
			...policies.map((p, i) => ({ path: `escalation_policies.${i}`, message: `escalation policy "${p.name}" (id ${p.id})` })),
		],
	});
}

/** The rules and policy steps that name a channel. */
export async function channelUsers(env: Env, tenantId: string, channelId: string): Promise<{ rules: Named[]; policies: Named[] }> {
	const d = db(env);
	const [rules, policies] = await d.batch([
		d
			.select({ id: alertRules.id, name: alertRules.name })
			.from(alertRules)
			.where(
				and(
					eq(alertRules.tenantId, tenantId),
					sql`EXISTS (SELECT 1 FROM json_each(${alertRules.channelIds}) WHERE value = ${channelId})`,
				),
			),
		d
			.select({ id: escalationPolicies.id, name: escalationPolicies.name })
			.from(escalationPolicies)
			.where(
				and(
					eq(escalationPolicies.tenantId, tenantId),
					sql`EXISTS (SELECT 1 FROM json_each(${escalationPolicies.steps}) s, json_each(s.value, '$.channel_ids') j WHERE j.value = ${channelId})`,
				),
			),
	]);
	return { rules, policies };
}

/** The rules that escalate through a policy. */
export async function policyUsers(env: Env, tenantId: string, policyId: string): Promise<Named[]> {
	return db(env)
		.select({ id: alertRules.id, name: alertRules.name })
		.from(alertRules)
		.where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.escalationPolicyId, policyId)))
		.all();
}
