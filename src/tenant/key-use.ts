import { log } from "../lib/log";

/** api_keys.last_used_at in D1 is written at most this often per tenant. */
export const KEY_USE_SYNC_MS = 60_000;
/** The object's own copy is saved at most this often per key (it survives eviction). */
const SAVE_EVERY_MS = 1_000;

type Saved = { last: Record<string, number>; unsynced: Record<string, number>; syncedAt: number };

/**
 * When each API key was last used. Kept by the tenant's object, which sees
 * every use, and saved in its storage (at most once a second per key), so an
 * eviction loses nothing; D1 hears of it in one batch at most once a minute,
 * so a busy producer never costs a D1 write per request.
 */
export class KeyUse {
	private readonly last: Map<string, number>;
	private readonly unsynced: Map<string, number>;
	private syncedAt: number;
	private savedAt = 0;

	constructor(private readonly sql: SqlStorage) {
		const row = sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'key_use'").toArray()[0];
		const saved: Saved = row ? JSON.parse(row.v) : { last: {}, unsynced: {}, syncedAt: 0 };
		this.last = new Map(Object.entries(saved.last));
		this.unsynced = new Map(Object.entries(saved.unsynced));
		this.syncedAt = saved.syncedAt;
	}

	/** Notes a use; returns when D1 should next be written (never sooner than a minute after the last write). */
	touch(id: string, now: number): number {
		this.last.set(id, now);
		this.unsynced.set(id, now);
		if (now - this.savedAt >= SAVE_EVERY_MS) this.save(now);
		return this.syncedAt + KEY_USE_SYNC_MS;
	}

	/** When the next D1 write is due, or null when there is nothing to write. */
	dueAt(): number | null {
		return this.unsynced.size > 0 ? this.syncedAt + KEY_USE_SYNC_MS : null;
	}

	usage(): Record<string, number> {
		return Object.fromEntries(this.last);
	}

	/** Writes pending uses to D1 in one batch when a minute has passed; a failed write is kept for the next run. */
	async sync(db: D1Database, tenantId: string, now: number): Promise<void> {
		const due = this.dueAt();
		if (due === null || now < due) return;
		const uses = [...this.unsynced];
		const update = db.prepare(
			"UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ? AND tenant_id = ?",
		);
		try {
			await db.batch(uses.map(([id, at]) => update.bind(at, id, tenantId)));
			for (const [id, at] of uses) if (this.unsynced.get(id) === at) this.unsynced.delete(id);
			this.syncedAt = now;
			this.save(now);
		} catch (err) {
			log("warn", "could not record API key use in D1; will retry", { tenant_id: tenantId, error: String(err) });
		}
	}

	private save(now: number): void {
		const saved: Saved = {
			last: Object.fromEntries(this.last),
			unsynced: Object.fromEntries(this.unsynced),
			syncedAt: this.syncedAt,
		};
		this.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES ('key_use', ?)", JSON.stringify(saved));
		this.savedAt = now;
	}
}
