/** The first retry waits up to this long; each further one up to twice as long... */
export const BASE_DELAY_MS = 500;
/** ...but never more than this (before Retry-After, which may ask for longer). */
export const MAX_DELAY_MS = 10_000;
/** Full jitter can draw 0: a floor keeps a failing server from being hit in a tight loop. */
export const MIN_DELAY_MS = 100;
/** Spread added to a server-given wait, so clients told the same Retry-After do not arrive in the same millisecond. */
export const RETRY_AFTER_SPREAD_MS = 500;

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a uniform draw in [0, min(cap, base * 2^attempt)),
 * which spreads retrying clients best, with a floor.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
	return Math.max(MIN_DELAY_MS, Math.floor(random() * ceiling));
}

/**
 * The wait a response asks for: `Retry-After` (seconds, or an HTTP date as
 * RFC 9110 allows), else `X-RateLimit-Reset` (the contract's seconds until
 * the window resets) on a rate-limited answer. Undefined when it asks none.
 */
export function serverWaitMs(headers: Headers, now: number, useReset: boolean): number | undefined {
	const retryAfter = headers.get("retry-after")?.trim();
	if (retryAfter) {
		if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
		const at = Date.parse(retryAfter);
		if (Number.isFinite(at)) return Math.max(0, at - now);
	}
	const reset = headers.get("x-ratelimit-reset")?.trim();
	if (useReset && reset && /^\d+$/.test(reset)) return Number(reset) * 1000;
	return undefined;
}

/** A server-given wait, with its spread and the floor. */
export function honouredMs(serverMs: number, random: () => number = Math.random): number {
	return Math.max(MIN_DELAY_MS, serverMs + Math.floor(random() * RETRY_AFTER_SPREAD_MS));
}

/**
 * Waits with setTimeout. Without timers (no known runtime, but the SDK does
 * not assume) it resolves false, and the caller gives up instead of retrying
 * at once.
 */
export function sleep(ms: number): Promise<boolean> {
	if (typeof setTimeout !== "function") return Promise.resolve(false);
	return new Promise((resolve) => setTimeout(() => resolve(true), ms));
}
