import { log } from "../lib/log";
import { pruneAlertHistory } from "./alert-history";
import { runAlertingTick } from "./escalate";
import { pruneAccounts } from "./housekeeping";
import { enforceRetention } from "./retention";

export const RETENTION_CRON = "17 * * * *";

/**
 * Cron Triggers (wrangler.toml): the hourly one starts a retention pass and
 * prunes spent account state (sessions, reset tokens, lockouts) and alert
 * history older than 90 days; the
 * every-minute one runs alert escalations (and resends lost notifications)
 * and continues a retention pass that ran out of budget. Each part runs on
 * its own, so a failing retention pass never stops escalations.
 */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
	const now = controller.scheduledTime;
	if (controller.cron !== RETENTION_CRON) {
		try {
			const caused = await runAlertingTick(env, now);
			if (caused > 0) log("info", "alerting tick", { notifications: caused });
		} catch (err) {
			log("error", "alerting tick failed", { error: String(err) });
		}
	}
	if (controller.cron === RETENTION_CRON) {
		await enforceRetention(env, { now });
		log("info", "housekeeping", { deleted: { ...(await pruneAccounts(env, now)), ...(await pruneAlertHistory(env, now)) } });
	}
	// At :17 both triggers fire; the hourly run already carries the pass on.
	else if (new Date(now).getUTCMinutes() !== 17) await enforceRetention(env, { now, continueOnly: true });
}
