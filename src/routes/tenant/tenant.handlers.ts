import { eq, sql } from "drizzle-orm";
import { auditEntry } from "../../audit/audit";
import { settingsOf } from "../../tenant/settings";
import { db } from "../../db/client";
import { type TenantRow, tenants } from "../../db/schema";
import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";
import type { AppRouteHandler } from "../../lib/types";
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
 */
export const patchTenantHandler: AppRouteHandler<typeof patchTenant> = async (c) => {
	const tenantId = c.get("principal").tenantId;
	const patch = c.req.valid("json");
	const before = await loadTenant(c.env, tenantId);
	const changed = Object.fromEntries(
		Object.entries(patch).filter(([k, v]) => v !== undefined && v !== before[column[k as keyof typeof column]]),
	);
	const set: Partial<TenantRow> = Object.fromEntries(Object.entries(changed).map(([k, v]) => [column[k as keyof typeof column], v]));
	let row = before;
	if (Object.keys(changed).length > 0) {
		const d = db(c.env);
		const [[updated]] = await d.batch([
			d
				.update(tenants)
				.set({ ...set, settingsVersion: sql`${tenants.settingsVersion} + 1` })
				.where(eq(tenants.id, tenantId))
				.returning(),
			auditEntry(c, {
				tenantId,
				action: "tenant.updated",
				target: { type: "tenant", id: tenantId },
				details: {
					before: Object.fromEntries(Object.keys(changed).map((k) => [k, before[column[k as keyof typeof column]]])),
					after: changed,
				},
			}),
		]);
		if (!updated) throw new ApiError({ code: "NOT_FOUND", message: "Tenant not found." });
		row = updated;
	}
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
