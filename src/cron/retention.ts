import { log } from "../lib/log";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per statement: small enough that one statement never holds D1 for long. */
export const RETENTION_BATCH = 5_000;
/**
 * D1 queries one run may make. A Worker invocation has a bounded number of
 * subrequests, so a run stops here and leaves a cursor for the next one.
 */
export const RETENTION_QUERY_BUDGET = 300;
const JOB = "retention";

type RunOptions = { now?: number; budget?: number; continueOnly?: boolean };

/**
 * Deletes events older than each tenant's `retention_days`, in bounded
 * batches, tenant by tenant in id order. A run that spends its query budget
 * saves the tenant it stopped at in `job_state`; the next run resumes there,
 * so every tenant is reached however many there are. `continueOnly` runs
 * only when a pass is unfinished (the every-minute tick); otherwise a new pass
 * starts (the hourly tick). Returns how many rows went.
 */
export async function enforceRetention(env: Env, opts: RunOptions = {}): Promise<number> {
	const now = opts.now ?? Date.now();
	const budget = opts.budget ?? RETENTION_QUERY_BUDGET;
	const state = await env.DB.prepare("SELECT cursor FROM job_state WHERE name = ?").bind(JOB).first<{ cursor: string }>();
	if (opts.continueOnly && !state) return 0;
	let after = state?.cursor ?? "";
	let queries = 1;
	let deleted = 0;
	const saveCursor = (cursor: string) =>
		env.DB.prepare(
			"INSERT INTO job_state (name, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
		)
			.bind(JOB, cursor, now)
			.run();
	for (;;) {
		const { results: tenants } = await env.DB.prepare(
			// A suspended tenant keeps all its data, so retention pauses for it; the first run after the lift catches up.
			"SELECT id, retention_days FROM tenants WHERE id > ? AND suspended_at IS NULL ORDER BY id LIMIT 100",
		)
			.bind(after)
			.all<{ id: string; retention_days: number }>();
		queries++;
		if (tenants.length === 0) break;
		for (const tenant of tenants) {
			const cutoff = now - tenant.retention_days * DAY_MS;
			for (;;) {
				if (queries >= budget - 1) {
					// Resume with this tenant: it may have more to delete.
					await saveCursor(after);
					log("info", "retention paused at its query budget; the next tick continues", { deleted, after });
					return deleted;
				}
				const result = await env.DB.prepare(
					`DELETE FROM events WHERE rowid IN (
					   SELECT rowid FROM events WHERE tenant_id = ? AND timestamp < ? LIMIT ?)`,
				)
					.bind(tenant.id, cutoff, RETENTION_BATCH)
					.run();
				queries++;
				deleted += result.meta.changes;
				if (result.meta.changes < RETENTION_BATCH) break;
			}
			after = tenant.id;
		}
	}
	await env.DB.prepare("DELETE FROM job_state WHERE name = ?").bind(JOB).run();
	if (deleted > 0) log("info", "retention pass complete", { deleted });
	return deleted;
}
