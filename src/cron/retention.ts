import { log } from "../lib/log";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per statement: small enough that one statement never holds D1 for long. */
export const RETENTION_BATCH = 5_000;
/** Statements per run; what is left is picked up by the next hourly run. */
const MAX_BATCHES_PER_RUN = 200;

/**
 * Deletes events older than each tenant's `retention_days`, in bounded
 * batches, tenant by tenant. Returns how many rows went.
 */
export async function enforceRetention(env: Env, now = Date.now()): Promise<number> {
	let deleted = 0;
	let batches = 0;
	let after = "";
	for (;;) {
		const { results: tenants } = await env.DB.prepare(
			"SELECT id, retention_days FROM tenants WHERE id > ? ORDER BY id LIMIT 100",
		)
			.bind(after)
			.all<{ id: string; retention_days: number }>();
		if (tenants.length === 0) break;
		for (const tenant of tenants) {
			const cutoff = now - tenant.retention_days * DAY_MS;
			for (;;) {
				if (batches++ >= MAX_BATCHES_PER_RUN) {
					log("warn", "retention run stopped at its batch budget; the next run continues", { deleted });
					return deleted;
				}
				const result = await env.DB.prepare(
					`DELETE FROM events WHERE rowid IN (
					   SELECT rowid FROM events WHERE tenant_id = ? AND timestamp < ? LIMIT ?)`,
				)
					.bind(tenant.id, cutoff, RETENTION_BATCH)
					.run();
				deleted += result.meta.changes;
				if (result.meta.changes < RETENTION_BATCH) break;
			}
		}
		after = tenants.at(-1)!.id;
	}
	if (deleted > 0) log("info", "retention", { deleted });
	return deleted;
}
