import { LOCK_MS } from "../auth/lockout";
import { SESSION_MAX_MS } from "../auth/sessions";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Audit entries are kept a year, whatever a tenant's event retention. */
export const AUDIT_RETENTION_DAYS = 365;
/** Rows deleted per table per run: the hourly run keeps up with far more than a tenant produces. */
const BATCH = 5_000;

/** `DELETE` of at most BATCH rows of `table` matching `where`: one statement never holds D1 for long. */
export const boundedDelete = (table: string, where: string) =>
	`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${BATCH})`;

/** Runs named DELETE statements in one D1 batch; returns the rows each deleted. */
export async function deleteInBatch(env: Env, statements: Record<string, D1PreparedStatement>): Promise<Record<string, number>> {
	const results = await env.DB.batch(Object.values(statements));
	return Object.fromEntries(Object.keys(statements).map((name, i) => [name, results[i]!.meta.changes]));
}

/**
 * Deletes account state nobody can use any more, in one D1 batch of bounded
 * statements: sessions expired a day ago, revoked a week ago or past their
 * absolute lifetime, reset tokens used or expired a day ago, sign-in failure runs whose window and lock have passed (rows that
 * anyone can create by typing a made-up email), anonymous clients' counters
 * whose window has ended, and audit entries older than a year. Returns the
 * rows deleted per table.
 */
export async function pruneAccounts(env: Env, now: number): Promise<Record<string, number>> {
	const statements = {
		sessions: env.DB.prepare(
			boundedDelete("sessions", "expires_at < ?1 OR revoked_at < ?2 OR created_at < ?3"),
		).bind(now - DAY_MS, now - 7 * DAY_MS, now - SESSION_MAX_MS - DAY_MS),
		password_resets: env.DB.prepare(boundedDelete("password_resets", "expires_at < ?1 OR used_at < ?1")).bind(now - DAY_MS),
		login_attempts: env.DB.prepare(
			boundedDelete("login_attempts", "updated_at < ?1 AND (locked_until IS NULL OR locked_until < ?2)"),
		).bind(now - LOCK_MS, now),
		audit_log: env.DB.prepare(boundedDelete("audit_log", "at < ?1")).bind(now - AUDIT_RETENTION_DAYS * DAY_MS),
		// Anonymous clients' counters whose window has ended (an ended window is reset by the next hit anyway).
		anonymous_limits: env.DB.prepare(boundedDelete("anonymous_limits", "window_ends_at <= ?1")).bind(now),
	};
	return deleteInBatch(env, statements);
}
