import type { NormalizedEvent } from "./types";

/**
 * One statement inserts a whole chunk: the rows travel as a single JSON array
 * parameter and SQLite unpacks them with json_each. `OR IGNORE` on the unique
 * (tenant_id, event_id) makes a replayed flush (the object restarted after D1
 * committed but before the outbox was trimmed) a no-op: exactly once in D1.
 */
const INSERT_EVENTS = `INSERT OR IGNORE INTO events (tenant_id, event_id, event_type, timestamp, received_at,
  source, severity, endpoint, method, status_code, response_time_ms, user_id, session_id, payload, tags)
SELECT ?1, json_extract(value, '$.event_id'), json_extract(value, '$.event_type'),
  json_extract(value, '$.timestamp'), json_extract(value, '$.received_at'), json_extract(value, '$.source'),
  json_extract(value, '$.severity'), json_extract(value, '$.endpoint'), json_extract(value, '$.method'),
  json_extract(value, '$.status_code'), json_extract(value, '$.response_time_ms'),
  json_extract(value, '$.user_id'), json_extract(value, '$.session_id'),
  json_extract(value, '$.payload'), json_extract(value, '$.tags')
FROM json_each(?2)`;

/**
 * D1 takes a bound string of up to 2 MB; UTF-8 needs at most 3 bytes per
 * UTF-16 unit, so chunks of 600k units stay under it (a single event, at most
 * 1 MiB by the ingestion limit, always fits alone).
 */
const CHUNK_UNITS = 600_000;

/** The durable buffer between acknowledgement and D1, in the object's own SQLite. */
export class Outbox {
	constructor(private readonly sql: SqlStorage) {}

	append(ev: NormalizedEvent): void {
		this.sql.exec("INSERT INTO outbox (body) VALUES (?)", JSON.stringify(ev));
	}

	size(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
	}

	/**
	 * Writes up to `maxRows` of the oldest buffered events to D1 in one batch
	 * (one transaction), then trims them from the buffer. Returns how many.
	 * Events appended while D1 answers have higher seq numbers and stay.
	 */
	async flush(db: D1Database, tenantId: string, maxRows = 5_000): Promise<number> {
		const rows = this.sql
			.exec<{ seq: number; body: string }>("SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", maxRows)
			.toArray();
		if (rows.length === 0) return 0;
		const chunks: string[][] = [[]];
		let units = 0;
		for (const { body } of rows) {
			if (units + body.length > CHUNK_UNITS && chunks.at(-1)!.length > 0) {
				chunks.push([]);
				units = 0;
			}
			chunks.at(-1)!.push(body);
			units += body.length;
		}
		const insert = db.prepare(INSERT_EVENTS);
		await db.batch(chunks.map((c) => insert.bind(tenantId, `[${c.join(",")}]`)));
		this.sql.exec("DELETE FROM outbox WHERE seq <= ?", rows.at(-1)!.seq);
		return rows.length;
	}
}
