import { tenantStub } from "../lib/auth";
import { log } from "../lib/log";

/** Tenants one tick visits at most, picked at random beyond that so that none waits for ever. */
const MAX_TENANTS = 500;
/** A pending notification untouched this long may have lost its queue message (see notifications.ts). */
const STALE_PENDING_MS = 2 * 60 * 1000;

/**
 * The every-minute alerting tick. D1 (the mirror of every object's alerts
 * and notifications) says which tenants need a visit: an active alert with
 * an escalation policy, or a notification still pending after minutes.
 * Each tenant's object then decides, with the tick's scheduled time as
 * "now": it sends every escalation step that came due, once, and sends
 * again the notifications whose message was lost. Returns the notifications
 * caused or revived.
 */
export async function runAlertingTick(env: Env, now: number): Promise<number> {
	const { results } = await env.DB.prepare(
		`SELECT tenant_id FROM (
		   SELECT tenant_id FROM alerts WHERE status = 'active' AND escalation_policy_id IS NOT NULL
		   UNION
		   SELECT tenant_id FROM notifications WHERE status = 'pending' AND updated_at < ?1)
		 ORDER BY random() LIMIT ?2`,
	)
		.bind(now - STALE_PENDING_MS, MAX_TENANTS)
		.all<{ tenant_id: string }>();
	let caused = 0;
	await Promise.all(
		results.map(async ({ tenant_id }) => {
			try {
				caused += await tenantStub(env, tenant_id).tick(tenant_id, now);
			} catch (err) {
				// One tenant's failure must not stop the others' escalations.
				log("error", "alerting tick failed for a tenant", { tenant_id, error: String(err) });
			}
		}),
	);
	return caused;
}
