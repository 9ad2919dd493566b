import type { TenantRow } from "../db/schema";
import type { TenantSettings } from "./types";

/** The tenant's settings as the object holds them (a copy of D1's, with its version). */
export function loadSettings(sql: SqlStorage): TenantSettings | null {
	const row = sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'settings'").toArray()[0];
	return row ? (JSON.parse(row.v) as TenantSettings) : null;
}

export function saveSettings(sql: SqlStorage, settings: TenantSettings): void {
	sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES ('settings', ?)", JSON.stringify(settings));
}

/** What the object needs of a D1 tenant row (registration, PATCH /tenant). */
export function settingsOf(row: TenantRow): TenantSettings {
	return {
		tenantId: row.id,
		slug: row.slug,
		rateLimitPerMinute: row.rateLimitPerMinute,
		retentionDays: row.retentionDays,
		version: row.settingsVersion,
		suspended: row.suspendedAt !== null,
	};
}
