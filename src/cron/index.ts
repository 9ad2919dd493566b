import { log } from "../lib/log";
import { enforceRetention } from "./retention";

export const RETENTION_CRON = "17 * * * *";

/** Cron Triggers (wrangler.toml): retention hourly; the every-minute trigger is for escalations. */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
	if (controller.cron === RETENTION_CRON) {
		await enforceRetention(env, controller.scheduledTime);
		return;
	}
	log("debug", "cron tick", { cron: controller.cron });
}
