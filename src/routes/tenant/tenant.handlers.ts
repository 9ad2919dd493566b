import type { Context } from "hono";
import { and, eq, sql } from "drizzle-orm";
import { auditIfChanged } from "../../audit/audit";
import { settingsOf } from "../../tenant/settings";
import { db } from "../../db/client";
import { type TenantRow, tenants } from "../../db/schema";
import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";
import { assertWithinCeilings, ceilingsOf, planCeilings } from "../../lib/plan";
import type { AppEnv, AppRouteHandler } from "../../lib/types";
import type { getTenant, patchTenant } from "./tenant.routes";
import { presentTenant } from "./tenant.schemas";

/** API field → column of the tenant row, for the audit's before/after. */
const column = { name: "name", rate_limit_per_minute: "rateLimitPerMinute", retention_days: "retentionDays" } as const;

async function loadTenant(env: Env, id: string) {
	const row = await db(env).select().from(tenants).where(eq(tenants.id, id)).get();
	if (!row) throw new ApiError({ code: "NOT_FOUND", message: "Tenant not found." });
	return row;
}

export const getTenantHandler: AppRouteHandler<typeof getTenant> = async (c) => {
	return c.json(presentTenant(await loadTenant(c.env, c.get("principal").tenantId)), 200);
};

/**
 * D1 holds the setting; the tenant's object holds the copy ingestion uses,
 * updated before we answer so the next ingestion request sees the new limit.
 * Every change bumps settings_version, and the object ignores an older
 * version arriving late, so racing PATCHes leave both agreeing.
 *
 * Values are bounded by the tenant's plan ceilings. The check is made on the
 * row we read and again inside the UPDATE (a guard on the ceiling columns),
 * so an operator lowering a ceiling meanwhile can never be undone by a
 * tenant's PATCH that read the old ceiling; the audit row is written only
 * when the guarded update applied.
 */
export const patchTenantHandler: AppRouteHandler<typeof patchTenant> = async (c) => {
	const tenantId = c.get("principal").tenantId;
	const patch = c.req.valid("json");
	let row: TenantRow | undefined;
	for (let attempt = 0; attempt < 3 && !row; attempt++) row = await applyPatch(c, tenantId, patch);
	if (!row) throw new ApiError({ code: "CONFLICT", message: "The tenant's ceilings changed meanwhile; send the same PATCH again." });
	try {
		await tenantStub(c.env, tenantId).configure(settingsOf(row));
	} catch (err) {
		log("error", "tenant settings saved but not applied to the tenant object", {
			request_id: c.get("requestId"),
			tenant_id: tenantId,
			error: String(err),
		});
		throw new ApiError({
			code: "INTERNAL",
			message: "The settings were saved but could not be applied yet; send the same PATCH again.",
		});
	}
	return c.json(presentTenant(row), 200);
};

type Patch = { name?: string; rate_limit_per_minute?: number; retention_days?: number };

/** One try: the row after the patch, or undefined when a ceiling moved between our read and the UPDATE. */
async function applyPatch(c: Context<AppEnv>, tenantId: string, patch: Patch): Promise<TenantRow | undefined> {
	const env = c.env;
	const before = await loadTenant(env, tenantId);
	const changed = Object.fromEntries(
		Object.entries(patch).filter(([k, v]) => v !== undefined && v !== before[column[k as keyof typeof column]]),
	) as Patch;
	// Only values that change are bounded: re-sending a value the tenant already has is never refused.
	assertWithinCeilings(changed, ceilingsOf(before, env));
	if (Object.keys(changed).length === 0) return before;
	const plan = planCeilings(env);
	const set: Partial<TenantRow> = Object.fromEntries(Object.entries(changed).map(([k, v]) => [column[k as keyof typeof column], v]));
	const d = db(env);
	const [[updated]] = await d.batch([
		d
			.update(tenants)
			.set({ ...set, settingsVersion: sql`${tenants.settingsVersion} + 1` })
			.where(
				and(
					eq(tenants.id, tenantId),
					changed.rate_limit_per_minute === undefined
						? undefined
						: sql`${changed.rate_limit_per_minute} <= coalesce(${tenants.maxRateLimitPerMinute}, ${plan.maxRateLimitPerMinute})`,
					changed.retention_days === undefined
						? undefined
						: sql`${changed.retention_days} <= coalesce(${tenants.maxRetentionDays}, ${plan.maxRetentionDays})`,
				),
			)
			.returning(),
		auditIfChanged(c, {
			tenantId,
			action: "tenant.updated",
			target: { type: "tenant", id: tenantId },
			details: {
				before: Object.fromEntries(Object.keys(changed).map((k) => [k, before[column[k as keyof typeof column]]])),
				after: changed,
			},
		}),
	]);
	return updated;
}
