import { MINUTE_MS } from "./counters";
import type { RateLimitState } from "./types";

/**
 * Fixed window aligned to the UTC minute, counted in accepted events. The
 * tenant object runs one request at a time, so "used" cannot race: this is
 * exact under any concurrency.
 */
export function rateLimitState(limit: number, used: number, now: number): RateLimitState {
	return {
		limit,
		remaining: Math.max(0, limit - used),
		reset: Math.ceil((MINUTE_MS - (now % MINUTE_MS)) / 1000),
	};
}
