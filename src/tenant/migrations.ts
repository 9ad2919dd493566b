/**
 * Ordered schema migrations of the tenant object's own SQLite storage. Each
 * entry runs once, in order, recorded in `_migrations`; never edit a shipped
 * entry, append a new one.
 */
const MIGRATIONS: string[] = [
	`CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);
	 CREATE TABLE api_keys (id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, revoked_at INTEGER);
	 CREATE TABLE dedupe (event_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
	 CREATE INDEX dedupe_seen_at ON dedupe (seen_at);
	 CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, body TEXT NOT NULL);
	 CREATE TABLE minutes (minute INTEGER PRIMARY KEY, data TEXT NOT NULL, sketch TEXT);`,
	// Outbox rows D1 refused on their own while answering everything else: kept, not retried forever.
	`CREATE TABLE outbox_parked (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, body TEXT NOT NULL,
	   error TEXT NOT NULL, parked_at INTEGER NOT NULL);`,
	// Alerting: rule windows (series of 10-second buckets), rule states, and the alert records this
	// object decides. "dirty" rows are not in D1 yet (the records job copies them, rev guards a race).
	`CREATE TABLE rule_series (key TEXT PRIMARY KEY, since INTEGER NOT NULL);
	 CREATE TABLE rule_buckets (series TEXT NOT NULL, bucket INTEGER NOT NULL, data TEXT NOT NULL,
	   PRIMARY KEY (series, bucket)) WITHOUT ROWID;
	 CREATE TABLE rule_state (rule_id TEXT PRIMARY KEY, state TEXT NOT NULL);
	 CREATE TABLE alerts (id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, status TEXT NOT NULL, data TEXT NOT NULL,
	   updated_at INTEGER NOT NULL, rev INTEGER NOT NULL DEFAULT 1, dirty INTEGER NOT NULL DEFAULT 1);
	 CREATE UNIQUE INDEX alerts_one_open_per_rule ON alerts (rule_id) WHERE status != 'resolved';
	 CREATE INDEX alerts_dirty ON alerts (dirty) WHERE dirty = 1;
	 CREATE TABLE alert_timeline (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, alert_id TEXT NOT NULL,
	   at INTEGER NOT NULL, type TEXT NOT NULL, data TEXT, dirty INTEGER NOT NULL DEFAULT 1);
	 CREATE INDEX alert_timeline_dirty ON alert_timeline (dirty) WHERE dirty = 1;
	 CREATE INDEX alert_timeline_alert ON alert_timeline (alert_id);
	 CREATE TABLE notifications (id TEXT PRIMARY KEY, alert_id TEXT, channel_id TEXT NOT NULL, kind TEXT NOT NULL,
	   status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, body TEXT NOT NULL,
	   created_at INTEGER NOT NULL, delivered_at INTEGER, updated_at INTEGER NOT NULL, queued_at INTEGER,
	   rev INTEGER NOT NULL DEFAULT 1, dirty INTEGER NOT NULL DEFAULT 1);
	 CREATE INDEX notifications_unqueued ON notifications (created_at) WHERE status = 'pending' AND queued_at IS NULL;
	 CREATE INDEX notifications_pending ON notifications (updated_at) WHERE status = 'pending';
	 CREATE INDEX notifications_dirty ON notifications (dirty) WHERE dirty = 1;
	 CREATE INDEX notifications_alert ON notifications (alert_id);`,
	// Per window length of a series, since when its buckets cover it (a longer window cannot use pruned history);
	// a delivery in flight holds its notification until leased_until, so a duplicate message cannot send it twice.
	`ALTER TABLE rule_series ADD COLUMN coverage TEXT NOT NULL DEFAULT '{}';
	 ALTER TABLE notifications ADD COLUMN leased_until INTEGER;`,
	// Dashboard: finished hours of the minute counters merged once (a 24-hour window reads 23 hour rows, not 1,440
	// minutes); per-endpoint counts of each minute and hour (the 100 busiest endpoints plus '' for all the others).
	`CREATE TABLE hours (hour INTEGER PRIMARY KEY, data TEXT NOT NULL, sketch TEXT);
	 CREATE TABLE endpoint_minutes (minute INTEGER NOT NULL, endpoint TEXT NOT NULL, n INTEGER NOT NULL, e INTEGER NOT NULL,
	   sketch TEXT, PRIMARY KEY (minute, endpoint));
	 CREATE TABLE endpoint_hours (hour INTEGER NOT NULL, endpoint TEXT NOT NULL, n INTEGER NOT NULL, e INTEGER NOT NULL,
	   sketch TEXT, PRIMARY KEY (hour, endpoint));`,
	// Key scopes (JSON array, as in D1's api_keys.scopes); keys made before scopes could do everything.
	`ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '["ingest","read"]';`,
	// Prometheus (prom-totals.ts): lifetime api_call totals, counted when events leave the outbox (flushed or parked),
	// so `counted` marks rows already counted (a parked row given back); rows buffered before this count when flushed.
	// Latency buckets are per bound, not cumulative (b0 <= 5 ms ... b13 <= 10 s; above 10 s only in count).
	`ALTER TABLE outbox ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE outbox_parked ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
	 CREATE TABLE prom_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
	 CREATE TABLE prom_calls (endpoint TEXT NOT NULL, method TEXT NOT NULL, status_class TEXT NOT NULL, n INTEGER NOT NULL,
	   PRIMARY KEY (endpoint, method, status_class)) WITHOUT ROWID;
	 CREATE TABLE prom_latency (endpoint TEXT PRIMARY KEY, count INTEGER NOT NULL, sum_ms REAL NOT NULL,
	   b0 INTEGER NOT NULL DEFAULT 0, b1 INTEGER NOT NULL DEFAULT 0, b2 INTEGER NOT NULL DEFAULT 0, b3 INTEGER NOT NULL DEFAULT 0,
	   b4 INTEGER NOT NULL DEFAULT 0, b5 INTEGER NOT NULL DEFAULT 0, b6 INTEGER NOT NULL DEFAULT 0, b7 INTEGER NOT NULL DEFAULT 0,
	   b8 INTEGER NOT NULL DEFAULT 0, b9 INTEGER NOT NULL DEFAULT 0, b10 INTEGER NOT NULL DEFAULT 0, b11 INTEGER NOT NULL DEFAULT 0,
	   b12 INTEGER NOT NULL DEFAULT 0, b13 INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`,
];

/** True once this object has storage of its own (it was configured for a tenant). */
export function isMigrated(sql: SqlStorage): boolean {
	return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").toArray().length > 0;
}

export function migrate(sql: SqlStorage): void {
	sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	const done = sql.exec<{ n: number }>("SELECT count(*) AS n FROM _migrations").one().n;
	for (let i = done; i < MIGRATIONS.length; i++) {
		sql.exec(MIGRATIONS[i]!);
		sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", i, Date.now());
	}
}
