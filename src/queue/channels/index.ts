import type { AttemptResult, Delivery } from "../../alerting/types";
import type { PostOptions } from "../http";
import { sendEmailChannel } from "./email";
import { sendPagerDuty } from "./pagerduty";
import { sendSlack } from "./slack";
import { sendWebhook } from "./webhook";

/**
 * Makes one delivery attempt on the delivery's channel. Never throws: a bug
 * or a malformed channel becomes a failed attempt (retryable, since a fixed
 * deploy may succeed), so one bad notification cannot fail its batch.
 * `options` bounds the HTTP attempt (tests shorten the timeout).
 */
export async function deliver(env: Env, delivery: Delivery, options?: PostOptions): Promise<AttemptResult> {
	try {
		const channel = delivery.channel;
		switch (channel.type) {
			case "webhook":
				return await sendWebhook(env, delivery, channel.config, options);
			case "slack":
				return await sendSlack(env, delivery, channel.config, options);
			case "email":
				return await sendEmailChannel(env, delivery, channel.config);
			case "pagerduty":
				return await sendPagerDuty(env, delivery, channel.config, options);
			default: {
				const unknown: { type?: unknown } = channel;
				return { ok: false, error: `unknown channel type ${String(unknown.type)}`, permanent: true };
			}
		}
	} catch (err) {
		return { ok: false, error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
	}
}
