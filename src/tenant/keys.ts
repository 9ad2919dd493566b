import { parseScopes } from "../lib/scopes";
import type { KeyRecord } from "./types";

/**
 * The tenant's API keys (hashes only), held in the object's storage and in
 * memory, so checking a key costs no D1 query and a revocation made through
 * the object is seen by the very next request.
 */
export class Keys {
	private readonly byHash = new Map<string, KeyRecord>();

	constructor(private readonly sql: SqlStorage) {
		for (const row of sql.exec<{ id: string; key_hash: string; revoked_at: number | null; scopes: string }>(
			"SELECT id, key_hash, revoked_at, scopes FROM api_keys",
		)) {
			this.byHash.set(row.key_hash, { id: row.id, hash: row.key_hash, revokedAt: row.revoked_at, scopes: parseScopes(row.scopes) });
		}
	}

	/** The active key with this SHA-256, or null (unknown or revoked). */
	verify(hash: string): KeyRecord | null {
		const key = this.byHash.get(hash);
		return key && key.revokedAt === null ? key : null;
	}

	/** Adds or updates a key. A revocation is never undone, whatever a late or stale copy says. */
	put(key: KeyRecord): void {
		const known = this.byHash.get(key.hash);
		if (known?.revokedAt != null) key = { ...key, revokedAt: known.revokedAt };
		this.sql.exec(
			"INSERT OR REPLACE INTO api_keys (id, key_hash, revoked_at, scopes) VALUES (?, ?, ?, ?)",
			key.id,
			key.hash,
			key.revokedAt,
			JSON.stringify(key.scopes),
		);
		this.byHash.set(key.hash, { ...key });
	}

	revoke(id: string, at: number): boolean {
		for (const key of this.byHash.values()) {
			if (key.id === id && key.revokedAt === null) {
				this.put({ ...key, revokedAt: at });
				return true;
			}
		}
		return false;
	}
}
