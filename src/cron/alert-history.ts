import { boundedDelete, deleteInBatch } from "./housekeeping";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Resolved alerts, their timelines and notifications are kept this long in D1 (PagerDuty keeps incidents far longer; 90 days covers a quarter's reviews). */
export const ALERT_HISTORY_DAYS = 90;

/**
 * Deletes alert history older than ALERT_HISTORY_DAYS from D1 in one batch
 * of bounded statements: resolved alerts, timeline entries and
 * notifications. Open alerts are never deleted, however old. The tenant
 * objects keep their own copies only a week (alerts.ts), so nothing comes
 * back. Returns the rows deleted per table.
 */
export async function pruneAlertHistory(env: Env, now: number): Promise<Record<string, number>> {
	const cutoff = now - ALERT_HISTORY_DAYS * DAY_MS;
	const bounded = (table: string, where: string) => env.DB.prepare(boundedDelete(table, where)).bind(cutoff);
	const statements = {
		alert_timeline: bounded(
			"alert_timeline",
			"at < ?1 AND alert_id NOT IN (SELECT id FROM alerts WHERE status != 'resolved')",
		),
		notifications: bounded("notifications", "created_at < ?1 AND status != 'pending'"),
		alerts: bounded("alerts", "status = 'resolved' AND resolved_at < ?1"),
	};
	return deleteInBatch(env, statements);
}
