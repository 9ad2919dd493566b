import type { NotifyMessage } from "../alerting/types";
import { log } from "../lib/log";
import { deliver } from "./channels";
import { handleDeadLetter } from "./dlq";
import { backoff, decide } from "./retry";

export { MAX_ATTEMPTS, backoff, decide } from "./retry";

/** The queue alert notifications go through (wrangler.toml). */
export const ALERTS_QUEUE_NAME = "pulsestream-alerts";
/** Its dead-letter queue, consumed by this Worker too (locally an unconsumed DLQ drops messages). */
export const ALERTS_DLQ_NAME = "pulsestream-alerts-dlq";

/**
 * The Queue consumer. Messages are handled concurrently and each one acks or
 * retries itself, so one slow or failing receiver never holds back or
 * re-sends the others; nothing is thrown out of here, since a thrown handler
 * would retry the whole batch.
 */
export async function queue(batch: MessageBatch<NotifyMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
	if (batch.queue === ALERTS_DLQ_NAME) {
		await Promise.all(batch.messages.map((msg) => handleDeadLetter(msg, env)));
	} else if (batch.queue === ALERTS_QUEUE_NAME) {
		await Promise.all(batch.messages.map((msg) => handleNotification(msg, env)));
	} else {
		// A renamed queue bound to this Worker: keep the messages rather than guess.
		log("error", "queue: unknown queue, messages retried", { queue: batch.queue, messages: batch.messages.length });
		batch.retryAll({ delaySeconds: 60 });
	}
}

/**
 * One attempt of one notification: ask the tenant's object what to send,
 * send it, report the outcome, then ack or retry with backoff.
 *
 * The attempt number is the larger of the platform's count and the object's
 * (+1): a notification that was enqueued again (an outbox drained twice)
 * still gets MAX_ATTEMPTS in all, not MAX_ATTEMPTS per message.
 *
 * An object call that throws retries the message with backoff. If that
 * happens after the receiver accepted it, the retry delivers it again:
 * delivery is at least once, and receivers deduplicate on
 * X-PulseStream-Delivery, which is stable across retries.
 */
export async function handleNotification(msg: Message<NotifyMessage>, env: Env): Promise<void> {
	const { t, n } = msg.body ?? ({} as Partial<NotifyMessage>);
	if (typeof t !== "string" || typeof n !== "string") {
		log("error", "alert queue: malformed message dropped", { message_id: msg.id });
		msg.ack();
		return;
	}
	try {
		const stub = env.TENANT.getByName(t);
		const delivery = await stub.delivery(n);
		if (!delivery) {
			msg.ack();
			return;
		}
		if ("busy" in delivery) {
			// Another attempt of this notification is in flight (a message sent again as lost): later.
			msg.retry({ delaySeconds: backoff(msg.attempts) });
			return;
		}
		const result = await deliver(env, delivery);
		const attempt = Math.max(msg.attempts, delivery.attempts + 1);
		const decision = decide(result, attempt);
		await stub.deliveryAttempt(n, result, decision.final);
		if (decision.retryAfter === null) {
			if (!result.ok) {
				log("warn", "alert notification failed", { tenant_id: t, notification_id: n, channel: delivery.channel.type, attempts: attempt, error: result.error });
			}
			msg.ack();
		} else {
			msg.retry({ delaySeconds: decision.retryAfter });
		}
	} catch (err) {
		log("warn", "alert queue: object call failed, retrying", {
			tenant_id: t,
			notification_id: n,
			attempts: msg.attempts,
			error: err instanceof Error ? err.message : String(err),
		});
		msg.retry({ delaySeconds: backoff(msg.attempts) });
	}
}
