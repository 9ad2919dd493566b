import { z } from "@hono/zod-openapi";
import type { TenantRow } from "../../db/schema";

export const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const TenantSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		slug: z.string(),
		rate_limit_per_minute: z.number().int(),
		retention_days: z.number().int(),
		created_at: z.string(),
	})
	.openapi("Tenant");

export function presentTenant(t: TenantRow): z.infer<typeof TenantSchema> {
	return {
		id: t.id,
		name: t.name,
		slug: t.slug,
		rate_limit_per_minute: t.rateLimitPerMinute,
		retention_days: t.retentionDays,
		created_at: new Date(t.createdAt).toISOString(),
	};
}

export const TenantPatchSchema = z
	.object({
		name: z.string().trim().min(1).max(200).optional(),
		// The upper bound is the tenant's plan ceiling, checked in the handler (its 422 names the ceiling).
		rate_limit_per_minute: z.number().int().min(1).optional(),
		retention_days: z.number().int().min(1).optional(),
	})
	.openapi("TenantPatch");
