import type { AlertRecord } from "./alerts";

/** Rows per D1 statement: one JSON parameter each, far below D1's 2 MB per value. */
const CHUNK = 200;

const UPSERT_ALERTS = `INSERT INTO alerts (id, tenant_id, rule_id, rule_name, severity, status, metric, value, threshold,
  labels, escalation_policy_id, triggered_at, acknowledged_at, acknowledged_by, resolved_at, escalation_level, updated_at)
SELECT j ->> 'id', ?1, j ->> 'rule_id', j ->> 'rule_name', j ->> 'severity', j ->> 'status', j ->> 'metric', j ->> 'value',
  j ->> 'threshold', j -> 'labels', j ->> 'escalation_policy_id', j ->> 'triggered_at', j ->> 'acknowledged_at',
  j ->> 'acknowledged_by', j ->> 'resolved_at', j ->> 'escalation_level', j ->> 'updated_at'
FROM (SELECT value AS j FROM json_each(?2)) WHERE true
ON CONFLICT (id) DO UPDATE SET status = excluded.status, value = excluded.value, acknowledged_at = excluded.acknowledged_at,
  acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at, escalation_level = excluded.escalation_level,
  updated_at = excluded.updated_at
WHERE excluded.updated_at >= alerts.updated_at`;

const INSERT_TIMELINE = `INSERT OR IGNORE INTO alert_timeline (id, tenant_id, alert_id, at, seq, type, data)
SELECT j ->> 'id', ?1, j ->> 'alert_id', j ->> 'at', j ->> 'seq', j ->> 'type', j ->> 'data'
FROM (SELECT value AS j FROM json_each(?2))`;

const UPSERT_NOTIFICATIONS = `INSERT INTO notifications (id, tenant_id, alert_id, channel_id, kind, status, attempts, last_error,
  created_at, delivered_at, updated_at)
SELECT j ->> 'id', ?1, j ->> 'alert_id', j ->> 'channel_id', j ->> 'kind', j ->> 'status', j ->> 'attempts', j ->> 'last_error',
  j ->> 'created_at', j ->> 'delivered_at', j ->> 'updated_at'
FROM (SELECT value AS j FROM json_each(?2)) WHERE true
ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error,
  delivered_at = excluded.delivered_at, updated_at = excluded.updated_at
WHERE excluded.updated_at >= notifications.updated_at`;

function chunks<T>(rows: T[]): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
	return out;
}

/**
 * Copies the alert records this object changed (alerts, timeline entries,
 * notifications) to D1 in one batch, then marks them clean, unless they
 * changed again meanwhile (rev). Upserts keyed by id, guarded by
 * updated_at, so a replay after a crash writes nothing twice and never
 * moves a row backwards. Returns how many rows went; throws when D1 fails
 * (the rows stay dirty and the job retries with backoff).
 */
export async function syncRecords(sql: SqlStorage, db: D1Database, tenantId: string, limit = 1000): Promise<number> {
	const alerts = sql
		.exec<{ id: string; rev: number; data: string }>("SELECT id, rev, data FROM alerts WHERE dirty = 1 LIMIT ?", limit)
		.toArray();
	const timeline = sql
		.exec<{ seq: number; id: string; alert_id: string; at: number; type: string; data: string | null }>(
			"SELECT seq, id, alert_id, at, type, data FROM alert_timeline WHERE dirty = 1 ORDER BY seq LIMIT ?",
			limit,
		)
		.toArray();
	const notes = sql
		.exec<{ id: string; rev: number; alert_id: string | null; channel_id: string; kind: string; status: string; attempts: number; last_error: string | null; created_at: number; delivered_at: number | null; updated_at: number }>(
			`SELECT id, rev, alert_id, channel_id, kind, status, attempts, last_error, created_at, delivered_at, updated_at
			 FROM notifications WHERE dirty = 1 LIMIT ?`,
			limit,
		)
		.toArray();
	const total = alerts.length + timeline.length + notes.length;
	if (total === 0) return 0;
	const statements: D1PreparedStatement[] = [];
	for (const c of chunks(alerts)) {
		statements.push(db.prepare(UPSERT_ALERTS).bind(tenantId, JSON.stringify(c.map((a) => JSON.parse(a.data) as AlertRecord))));
	}
	for (const c of chunks(timeline)) statements.push(db.prepare(INSERT_TIMELINE).bind(tenantId, JSON.stringify(c)));
	for (const c of chunks(notes)) {
		statements.push(db.prepare(UPSERT_NOTIFICATIONS).bind(tenantId, JSON.stringify(c.map(({ rev: _rev, ...n }) => n))));
	}
	await db.batch(statements);
	for (const a of alerts) sql.exec("UPDATE alerts SET dirty = 0 WHERE id = ? AND rev = ?", a.id, a.rev);
	if (timeline.length > 0) sql.exec("UPDATE alert_timeline SET dirty = 0 WHERE dirty = 1 AND seq <= ?", timeline.at(-1)!.seq);
	for (const n of notes) sql.exec("UPDATE notifications SET dirty = 0 WHERE id = ? AND rev = ?", n.id, n.rev);
	return total;
}

/** True while some record is not in D1 yet. */
export function hasDirty(sql: SqlStorage): boolean {
	return (
		sql.exec(
			"SELECT 1 FROM alerts WHERE dirty = 1 UNION ALL SELECT 1 FROM alert_timeline WHERE dirty = 1 UNION ALL SELECT 1 FROM notifications WHERE dirty = 1 LIMIT 1",
		).toArray().length > 0
	);
}
