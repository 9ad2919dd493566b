import type { AttemptResult } from "../alerting/types";

/**
 * Deliveries of one notification before it is marked failed: the first try
 * plus 5 retries (the contract asks for at least 5 attempts).
 *
 * Keep it at most `max_retries + 1` of the main consumer in wrangler.toml
 * (max_retries = 6 there, so the platform allows 7 deliveries): our own final
 * decision must come first, so a notification that keeps failing is marked
 * failed with its real error and acked. The platform's dead-letter queue then
 * only catches messages whose handling itself kept failing (the tenant's
 * object unreachable), which dlq.ts settles.
 */
export const MAX_ATTEMPTS = 6;

/** Cap of the retry delay, in seconds. */
export const MAX_BACKOFF_SECONDS = 60;

/**
 * Seconds to wait before the next delivery, after `attempts` deliveries
 * (Message#attempts, 1 on the first): 2, 4, 8, 16, 32, then 60. The first
 * retry comes within the contract's 5 seconds; doubling spreads the rest over
 * about a minute, long enough to ride out a receiver's restart or deploy.
 */
export function backoff(attempts: number): number {
	const n = Math.max(1, Math.floor(attempts));
	return Math.min(MAX_BACKOFF_SECONDS, 2 ** n);
}

/** What to do with a message once its attempt is over. */
export type Decision =
	/** Delivered, or failed for good: record with `final` and ack. */
	| { final: boolean; retryAfter: null }
	/** Failed, may succeed later: record (not final) and retry after this many seconds. */
	| { final: false; retryAfter: number };

/**
 * The pure retry decision for an attempt that was the `attempts`-th delivery:
 * success acks; a permanent failure (a 4xx, a forbidden URL) or the last
 * allowed attempt is final; anything else retries with backoff.
 */
export function decide(result: AttemptResult, attempts: number): Decision {
	if (result.ok) return { final: false, retryAfter: null };
	if (result.permanent || attempts >= MAX_ATTEMPTS) return { final: true, retryAfter: null };
	return { final: false, retryAfter: backoff(attempts) };
}
