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
