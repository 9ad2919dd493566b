import { parseScopes } from "../lib/scopes";
import type { KeyRecord, TenantSettings } from "./types";

/**
 * The tenant and its keys as D1 has them: the recovery path of an object
 * that has no settings (registration could not reach it, or its storage
 * was lost). Null when D1 has no such tenant.
 */
export async function loadTenant(db: D1Database, tenantId: string): Promise<{ settings: TenantSettings; keys: KeyRecord[] } | null> {
	const tenant = await db
		.prepare("SELECT id, slug, rate_limit_per_minute, retention_days, settings_version, suspended_at FROM tenants WHERE id = ?")
		.bind(tenantId)
		.first<{
			id: string;
			slug: string;
			rate_limit_per_minute: number;
			retention_days: number;
			settings_version: number;
			suspended_at: number | null;
		}>();
	if (!tenant) return null;
	const { results } = await db
		.prepare("SELECT id, key_hash, revoked_at, scopes FROM api_keys WHERE tenant_id = ?")
		.bind(tenantId)
		.all<{ id: string; key_hash: string; revoked_at: number | null; scopes: string }>();
	return {
		settings: {
			tenantId: tenant.id,
			slug: tenant.slug,
			rateLimitPerMinute: tenant.rate_limit_per_minute,
			retentionDays: tenant.retention_days,
			version: tenant.settings_version,
			suspended: tenant.suspended_at !== null,
		},
		keys: results.map((k) => ({ id: k.id, hash: k.key_hash, revokedAt: k.revoked_at, scopes: parseScopes(k.scopes) })),
	};
}
