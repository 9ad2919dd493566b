/** An event_id is answered "duplicate" for 24 hours after it was first accepted. */
export const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Idempotency keys in the object's SQLite storage (so they survive restarts).
 * Set-based: one lookup and one insert per request, whatever its size, and
 * both run in the same synchronous turn as the rest of an ingestion, so ten
 * copies arriving together see each other.
 */
export class Dedupe {
	constructor(private readonly sql: SqlStorage) {}

	/** The ids among `ids` accepted within the window. */
	seen(ids: string[], now: number): Set<string> {
		const seen = new Set<string>();
		if (ids.length === 0) return seen;
		if (ids.length === 1) {
			// The single-event route: a point lookup, no JSON round trip.
			const hit = this.sql
				.exec("SELECT 1 FROM dedupe WHERE event_id = ? AND seen_at > ?", ids[0]!, now - DEDUPE_WINDOW_MS)
				.toArray();
			if (hit.length > 0) seen.add(ids[0]!);
			return seen;
		}
		const cursor = this.sql.exec<{ event_id: string }>(
			"SELECT event_id FROM dedupe WHERE event_id IN (SELECT value FROM json_each(?)) AND seen_at > ?",
			JSON.stringify(ids),
			now - DEDUPE_WINDOW_MS,
		);
		for (const row of cursor) seen.add(row.event_id);
		return seen;
	}

	remember(ids: string[], now: number): void {
		if (ids.length === 0) return;
		if (ids.length === 1) {
			this.sql.exec("INSERT OR REPLACE INTO dedupe (event_id, seen_at) VALUES (?, ?)", ids[0]!, now);
			return;
		}
		this.sql.exec(
			"INSERT OR REPLACE INTO dedupe (event_id, seen_at) SELECT value, ? FROM json_each(?)",
			now,
			JSON.stringify(ids),
		);
	}

	/** Forgets keys older than the window, a bounded number per call. */
	prune(now: number, max = 50_000): number {
		return this.sql.exec(
			"DELETE FROM dedupe WHERE event_id IN (SELECT event_id FROM dedupe WHERE seen_at <= ? LIMIT ?)",
			now - DEDUPE_WINDOW_MS,
			max,
		).rowsWritten;
	}
}
