import { and, asc, count, eq } from "drizzle-orm";
import { db } from "../../db/client";
import { type EscalationPolicyRow, escalationPolicies } from "../../db/schema";
import { newId } from "../../lib/crypto";
import { ApiError, validationError } from "../../lib/errors";
import type { AppRouteHandler } from "../../lib/types";
import type { createPolicy, deletePolicy, getPolicy, listPolicies, patchPolicy } from "./policies.routes";
import { PolicyInputSchema, presentPolicy, stepRefs } from "./policies.schemas";
import { assertChannels, channelsExist, policyUnused, policyUsers, stillUsed } from "./refs";
import { bumpVersion, changedMeanwhile, countBelow, handOver, insertWhere, nextUpdatedAt, notFound } from "./shared";
import { auditConfig } from "./audit";

/** Policies per tenant: bounds the snapshot the tenant's object holds. */
export const MAX_POLICIES = 200;

async function loadPolicy(env: Env, tenantId: string, id: string): Promise<EscalationPolicyRow> {
	const row = await db(env)
		.select()
		.from(escalationPolicies)
		.where(and(eq(escalationPolicies.id, id), eq(escalationPolicies.tenantId, tenantId)))
		.get();
	if (!row) throw notFound("escalation policy", id);
	return row;
}

const allChannels = (steps: { channel_ids: string[] }[]) => steps.flatMap((s) => s.channel_ids);

export const listPoliciesHandler: AppRouteHandler<typeof listPolicies> = async (c) => {
	const rows = await db(c.env)
		.select()
		.from(escalationPolicies)
		.where(eq(escalationPolicies.tenantId, c.get("user").tenantId))
		.orderBy(asc(escalationPolicies.createdAt), asc(escalationPolicies.id))
		.all();
	return c.json({ escalation_policies: rows.map(presentPolicy) }, 200);
};

/** Like a rule's create: the cap and the channels are checked inside the insert, and diagnosed only when it did nothing. */
export const createPolicyHandler: AppRouteHandler<typeof createPolicy> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const input = c.req.valid("json");
	const now = Date.now();
	const row: EscalationPolicyRow = { id: newId(), tenantId, name: input.name, steps: input.steps, repeat: input.repeat, createdAt: now, updatedAt: now };
	const guard = and(channelsExist(tenantId, allChannels(input.steps)), countBelow("escalation_policies", tenantId, MAX_POLICIES))!;
	const [created] = await db(c.env).batch([insertWhere(c.env, escalationPolicies, row, guard), bumpVersion(c.env, tenantId), auditConfig(c, tenantId, "escalation_policy.created", row.id)]);
	if (created.length === 0) {
		await assertChannels(c.env, tenantId, stepRefs(input));
		const [n] = await db(c.env).select({ n: count() }).from(escalationPolicies).where(eq(escalationPolicies.tenantId, tenantId));
		if ((n?.n ?? 0) >= MAX_POLICIES) {
			throw new ApiError({
				code: "VALIDATION_ERROR",
				message: `A tenant has at most ${MAX_POLICIES} escalation policies; delete one first.`,
				details: [{ path: "(body)", message: `at most ${MAX_POLICIES} escalation policies per tenant` }],
			});
		}
		throw changedMeanwhile("tenant's alerting configuration");
	}
	await handOver(c, tenantId);
	return c.json(presentPolicy(created[0]!), 201);
};

export const getPolicyHandler: AppRouteHandler<typeof getPolicy> = async (c) => {
	return c.json(presentPolicy(await loadPolicy(c.env, c.get("user").tenantId, c.req.valid("param").id)), 200);
};

export const patchPolicyHandler: AppRouteHandler<typeof patchPolicy> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const patch = c.req.valid("json");
	const before = await loadPolicy(c.env, tenantId, id);
	const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
	const parsed = PolicyInputSchema.safeParse({ name: before.name, steps: before.steps, repeat: before.repeat, ...given });
	if (!parsed.success) throw validationError(parsed.error);
	const input = parsed.data;
	const d = db(c.env);
	const [updated] = await d.batch([
		d
			.update(escalationPolicies)
			.set({ name: input.name, steps: input.steps, repeat: input.repeat, updatedAt: nextUpdatedAt(before.updatedAt) })
			.where(
				and(
					eq(escalationPolicies.id, id),
					eq(escalationPolicies.tenantId, tenantId),
					eq(escalationPolicies.updatedAt, before.updatedAt),
					channelsExist(tenantId, allChannels(input.steps)),
				),
			)
			.returning(),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "escalation_policy.updated", id),
	]);
	if (updated.length === 0) {
		const now = await loadPolicy(c.env, tenantId, id);
		if (now.updatedAt === before.updatedAt) await assertChannels(c.env, tenantId, stepRefs(input));
		throw changedMeanwhile("escalation policy");
	}
	await handOver(c, tenantId);
	return c.json(presentPolicy(updated[0]!), 200);
};

/** A policy some rule escalates through is not deleted (409 naming the rules), checked again inside the DELETE. */
export const deletePolicyHandler: AppRouteHandler<typeof deletePolicy> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	await loadPolicy(c.env, tenantId, id);
	const users = await policyUsers(c.env, tenantId, id);
	if (users.length > 0) throw stillUsed("escalation policy", users);
	const d = db(c.env);
	const [deleted] = await d.batch([
		d
			.delete(escalationPolicies)
			.where(and(eq(escalationPolicies.id, id), eq(escalationPolicies.tenantId, tenantId), policyUnused(tenantId, id)))
			.returning({ id: escalationPolicies.id }),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "escalation_policy.deleted", id),
	]);
	if (deleted.length === 0) {
		await loadPolicy(c.env, tenantId, id);
		const now = await policyUsers(c.env, tenantId, id);
		throw now.length > 0 ? stillUsed("escalation policy", now) : changedMeanwhile("escalation policy");
	}
	await handOver(c, tenantId);
	return c.body(null, 204);
};
