import { type AttemptResult, DEAD_LETTER_PREFIX, type NotifyMessage } from "../alerting/types";
import { log } from "../lib/log";
import { backoff } from "./retry";

export { DEAD_LETTER_PREFIX, isDeadLetter } from "../alerting/types";

/** Deliveries of one dead-lettered message: the DLQ consumer's max_retries (3) + 1, in wrangler.toml. */
export const DLQ_MAX_ATTEMPTS = 4;

/** The result recorded for a dead-lettered notification (see isDeadLetter). */
export function deadLetterResult(attempts: number): AttemptResult {
	return { ok: false, error: `${DEAD_LETTER_PREFIX} after ${attempts} attempts` };
}

/**
 * Settles one message of the dead-letter queue. A message lands there when
 * the main consumer ran out of the platform's retries without acking it,
 * which happens when its handling kept throwing (the tenant's object
 * unreachable), since a failing receiver is marked failed and acked by the
 * main consumer first (MAX_ATTEMPTS). The notification is marked failed so
 * it does not stay "pending" forever. An object that is still unreachable
 * gets the DLQ consumer's own retries with backoff; after those the platform
 * drops the message, which is logged as an error.
 */
export async function handleDeadLetter(msg: Message<NotifyMessage>, env: Env): Promise<void> {
	const { t, n } = msg.body ?? ({} as Partial<NotifyMessage>);
	if (typeof t !== "string" || typeof n !== "string") {
		log("error", "alert DLQ: malformed message dropped", { message_id: msg.id });
		msg.ack();
		return;
	}
	try {
		const stub = env.TENANT.getByName(t);
		// The object knows how many attempts were recorded (msg.attempts here
		// counts deliveries on the DLQ); null: already final, nothing to settle.
		const delivery = await stub.delivery(n);
		if (delivery && "busy" in delivery) {
			// An attempt is in flight elsewhere: it settles the notification; look again later.
			msg.retry({ delaySeconds: backoff(msg.attempts) });
			return;
		}
		if (delivery) {
			await stub.deliveryAttempt(n, deadLetterResult(delivery.attempts), true);
			log("warn", "alert notification dead-lettered", { tenant_id: t, notification_id: n, attempts: delivery.attempts });
		}
		msg.ack();
	} catch (err) {
		const last = msg.attempts >= DLQ_MAX_ATTEMPTS;
		log(last ? "error" : "warn", last ? "alert DLQ: giving up, notification stays pending" : "alert DLQ: object call failed, retrying", {
			tenant_id: t,
			notification_id: n,
			attempts: msg.attempts,
			error: err instanceof Error ? err.message : String(err),
		});
		msg.retry({ delaySeconds: backoff(msg.attempts) });
	}
}
