import { and, asc, count, eq } from "drizzle-orm";
import { db } from "../../db/client";
import { type AlertRuleRow, alertRules } from "../../db/schema";
import { newId } from "../../lib/crypto";
import { ApiError, validationError } from "../../lib/errors";
import type { AppRouteHandler } from "../../lib/types";
import { assertChannels, assertPolicy, channelsExist, policyExists } from "./refs";
import type { createRule, deleteRule, getRule, listRules, patchRule } from "./rules.routes";
import { type RuleInput, RuleInputSchema, inputOf, presentRule, ruleColumns } from "./rules.schemas";
import { bumpVersion, changedMeanwhile, countBelow, handOver, insertWhere, nextUpdatedAt, notFound } from "./shared";
import { auditConfig } from "./audit";

/** Rules per tenant (the contract's limit): each is evaluated as events arrive. */
export const MAX_RULES = 200;

async function loadRule(env: Env, tenantId: string, id: string): Promise<AlertRuleRow> {
	const row = await db(env)
		.select()
		.from(alertRules)
		.where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)))
		.get();
	if (!row) throw notFound("alert rule", id);
	return row;
}

/** 404 for the first reference that is not the tenant's (channels, then the policy). */
async function assertRefs(env: Env, tenantId: string, rule: RuleInput): Promise<void> {
	await assertChannels(env, tenantId, rule.channel_ids.map((id, i) => ({ path: `channel_ids.${i}`, id })));
	await assertPolicy(env, tenantId, rule.escalation_policy_id);
}

export const listRulesHandler: AppRouteHandler<typeof listRules> = async (c) => {
	const rows = await db(c.env)
		.select()
		.from(alertRules)
		.where(eq(alertRules.tenantId, c.get("user").tenantId))
		.orderBy(asc(alertRules.createdAt), asc(alertRules.id))
		.all();
	return c.json({ rules: rows.map(presentRule) }, 200);
};

/**
 * One guarded INSERT checks the cap and that every channel and the policy
 * are the tenant's, so neither concurrent creates nor a channel deleted
 * meanwhile can get past it. Only when it inserts nothing are the checks
 * run again one by one, to say which failed.
 */
export const createRuleHandler: AppRouteHandler<typeof createRule> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const input = c.req.valid("json");
	const now = Date.now();
	const row: AlertRuleRow = { id: newId(), tenantId, ...ruleColumns(input), createdAt: now, updatedAt: now };
	const guard = and(
		channelsExist(tenantId, input.channel_ids),
		policyExists(tenantId, input.escalation_policy_id),
		// Counted inside the insert itself: 200 racing creates cannot make 201.
		countBelow("alert_rules", tenantId, MAX_RULES),
	)!;
	const [created] = await db(c.env).batch([insertWhere(c.env, alertRules, row, guard), bumpVersion(c.env, tenantId), auditConfig(c, tenantId, "alert_rule.created", row.id)]);
	if (created.length === 0) {
		await assertRefs(c.env, tenantId, input);
		const [n] = await db(c.env).select({ n: count() }).from(alertRules).where(eq(alertRules.tenantId, tenantId));
		if ((n?.n ?? 0) >= MAX_RULES) {
			throw new ApiError({
				code: "VALIDATION_ERROR",
				message: `A tenant has at most ${MAX_RULES} alert rules; delete or reuse one first.`,
				details: [{ path: "(body)", message: `at most ${MAX_RULES} rules per tenant` }],
			});
		}
		throw changedMeanwhile("tenant's alerting configuration");
	}
	await handOver(c, tenantId);
	return c.json(presentRule(created[0]!), 201);
};

export const getRuleHandler: AppRouteHandler<typeof getRule> = async (c) => {
	return c.json(presentRule(await loadRule(c.env, c.get("user").tenantId, c.req.valid("param").id)), 200);
};

/**
 * The patch is laid over the stored rule (fields given replace, `condition`
 * whole) and the result validated like a create, so cross-field rules (the
 * threshold's range, the side of resolve_threshold) hold for the merged rule.
 * Guarded by `updated_at` and by the references, like the create.
 */
export const patchRuleHandler: AppRouteHandler<typeof patchRule> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const patch = c.req.valid("json");
	const before = await loadRule(c.env, tenantId, id);
	const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
	const parsed = RuleInputSchema.safeParse({ ...inputOf(before), ...given });
	if (!parsed.success) throw validationError(parsed.error);
	const input = parsed.data;
	const d = db(c.env);
	const [updated] = await d.batch([
		d
			.update(alertRules)
			.set({ ...ruleColumns(input), updatedAt: nextUpdatedAt(before.updatedAt) })
			.where(
				and(
					eq(alertRules.id, id),
					eq(alertRules.tenantId, tenantId),
					eq(alertRules.updatedAt, before.updatedAt),
					channelsExist(tenantId, input.channel_ids),
					policyExists(tenantId, input.escalation_policy_id),
				),
			)
			.returning(),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "alert_rule.updated", id),
	]);
	if (updated.length === 0) {
		const now = await loadRule(c.env, tenantId, id);
		if (now.updatedAt === before.updatedAt) await assertRefs(c.env, tenantId, input);
		throw changedMeanwhile("rule");
	}
	await handOver(c, tenantId);
	return c.json(presentRule(updated[0]!), 200);
};

/** Silences naming the rule stay (they expire on their own and match nothing meanwhile). */
export const deleteRuleHandler: AppRouteHandler<typeof deleteRule> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const d = db(c.env);
	const [deleted] = await d.batch([
		d
			.delete(alertRules)
			.where(and(eq(alertRules.id, id), eq(alertRules.tenantId, tenantId)))
			.returning({ id: alertRules.id }),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "alert_rule.deleted", id),
	]);
	if (deleted.length === 0) throw notFound("alert rule", id);
	await handOver(c, tenantId);
	return c.body(null, 204);
};
