/** An event_id is answered "duplicate" for 24 hours after it was first accepted. */
export const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Idempotency keys in the object's SQLite storage (so they survive restarts).
 * `seen` and `remember` run in the same synchronous turn as the rest of an
 * ingestion, so ten copies arriving together see each other.
 */
export class Dedupe {
	constructor(private readonly sql: SqlStorage) {}

	seen(eventId: string, now: number): boolean {
		const row = this.sql
			.exec<{ seen_at: number }>("SELECT seen_at FROM dedupe WHERE event_id = ?", eventId)
			.toArray()[0];
		return row !== undefined && now - row.seen_at < DEDUPE_WINDOW_MS;
	}

	remember(eventId: string, now: number): void {
		this.sql.exec("INSERT OR REPLACE INTO dedupe (event_id, seen_at) VALUES (?, ?)", eventId, now);
	}

	/** Forgets keys older than the window, a bounded number per call. */
	prune(now: number, max = 10_000): number {
		return this.sql.exec(
			"DELETE FROM dedupe WHERE event_id IN (SELECT event_id FROM dedupe WHERE seen_at < ? LIMIT ?)",
			now - DEDUPE_WINDOW_MS,
			max,
		).rowsWritten;
	}
}
