import { z } from "@hono/zod-openapi";
import type { TenantRow } from "../../db/schema";
import { iso } from "../../lib/time";
import { LimitQuery } from "../../lib/pagination";
import { ceilingsOf, MAX_RATE_LIMIT_CEILING, MAX_RETENTION_CEILING } from "../../lib/plan";
import { SLUG } from "../tenant/tenant.schemas";

export const OperatorTenantSchema = z
	.object({
		id: z.string(),
		slug: z.string(),
		name: z.string(),
		created_at: z.string(),
		suspended: z.boolean(),
		suspended_at: z.string().nullable().openapi({ description: "When the current suspension began; null when not suspended" }),
		rate_limit_per_minute: z.number().int(),
		retention_days: z.number().int(),
		max_rate_limit_per_minute: z.number().int(),
		max_retention_days: z.number().int(),
	})
	.openapi("OperatorTenant");

export type OperatorTenant = z.infer<typeof OperatorTenantSchema>;

/** A tenant as the operator sees it: its own ceilings, or the plan defaults it follows. */
export function presentOperatorTenant(row: TenantRow, env: Env): OperatorTenant {
	const ceilings = ceilingsOf(row, env);
	return {
		id: row.id,
		slug: row.slug,
		name: row.name,
		created_at: iso(row.createdAt),
		suspended: row.suspendedAt !== null,
		suspended_at: row.suspendedAt === null ? null : iso(row.suspendedAt),
		rate_limit_per_minute: row.rateLimitPerMinute,
		retention_days: row.retentionDays,
		max_rate_limit_per_minute: ceilings.maxRateLimitPerMinute,
		max_retention_days: ceilings.maxRetentionDays,
	};
}

export const OperatorTenantListSchema = z
	.object({ tenants: z.array(OperatorTenantSchema), next_cursor: z.string().nullable() })
	.openapi("OperatorTenantList");

export const OperatorTenantQuery = z.object({
	slug: z.string().regex(SLUG, "a tenant slug").optional().openapi({ description: "Only the tenant with this exact slug" }),
	limit: LimitQuery(200, 50),
	cursor: z.string().max(512).optional(),
});

/**
 * Ceilings are whole numbers from 1 to what one tenant object can really
 * serve (src/lib/plan.ts); values are bounded by the ceilings, checked in
 * the handler so the 422 names the ceiling. `null` is refused like any other
 * non-number: a ceiling is never "unset" by accident.
 */
export const OperatorTenantPatchSchema = z
	.object({
		max_rate_limit_per_minute: z.number().int().min(1).max(MAX_RATE_LIMIT_CEILING).optional(),
		max_retention_days: z.number().int().min(1).max(MAX_RETENTION_CEILING).optional(),
		rate_limit_per_minute: z.number().int().min(1).optional(),
		retention_days: z.number().int().min(1).optional(),
		suspended: z.boolean().optional(),
	})
	.openapi("OperatorTenantPatch");

export type OperatorTenantPatch = z.infer<typeof OperatorTenantPatchSchema>;
