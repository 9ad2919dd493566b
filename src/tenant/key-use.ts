import { log } from "../lib/log";

/** api_keys.last_used_at in D1 is written at most this often per tenant. */
export const KEY_USE_SYNC_MS = 60_000;
/** The object's own copy is saved at most this often per key (it survives eviction). */
const SAVE_EVERY_MS = 1_000;

type Saved = { last: Record<string, number>; unsynced: Record<string, number>; syncedAt: number };

/**
 * When each API key was last used. Kept by the tenant's object, which sees
 * every use, and saved in its storage (a key's first use at once, then at
 * most once a second), so an eviction loses at most the last second; D1
 * hears of it in one batch at most once a minute, so a busy producer never
 * costs a D1 write per request.
 */
export class KeyUse {
	private readonly last: Map<string, number>;
	private readonly unsynced: Map<string, number>;
	private syncedAt: number;
	private savedAt = 0;
	/** Keys whose use is in storage at all: a key's first use is saved at once. */
	private readonly saved = new Set<string>();
	/** After a failed D1 write, the next try waits (5 s, 10 s, ... up to a minute). */
	private failures = 0;
	private retryAt = 0;

	constructor(private readonly sql: SqlStorage) {
		const row = sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'key_use'").toArray()[0];
		const saved: Saved = row ? JSON.parse(row.v) : { last: {}, unsynced: {}, syncedAt: 0 };
		this.last = new Map(Object.entries(saved.last));
		this.unsynced = new Map(Object.entries(saved.unsynced));
		this.syncedAt = saved.syncedAt;
		for (const id of this.last.keys()) this.saved.add(id);
	}

	/** Notes a use; returns when D1 should next be written (never sooner than a minute after the last write). */
	touch(id: string, now: number): number {
		this.last.set(id, now);
		this.unsynced.set(id, now);
		if (!this.saved.has(id) || now - this.savedAt >= SAVE_EVERY_MS) this.save(now);
		return this.dueAt()!;
	}

	/** When the next D1 write is due, or null when there is nothing to write. */
	dueAt(): number | null {
		return this.unsynced.size > 0 ? Math.max(this.syncedAt + KEY_USE_SYNC_MS, this.retryAt) : null;
	}

	usage(): Record<string, number> {
		return Object.fromEntries(this.last);
	}

	/**
	 * Writes pending uses to D1 in one batch when a minute has passed. A failed
	 * write is kept and retried with backoff, never in a loop.
	 */
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
			this.failures = 0;
			this.retryAt = 0;
			this.save(now);
		} catch (err) {
			this.failures++;
			this.retryAt = now + Math.min(5_000 * this.failures, KEY_USE_SYNC_MS);
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
		for (const id of this.last.keys()) this.saved.add(id);
	}
}
