import type { Context } from "hono";
import { sql } from "drizzle-orm";
import { db } from "../db/client";
import { anonymousLimits } from "../db/schema";
import { clientOf } from "../lib/client-address";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The contract's limits on anonymous clients, per client address (see
 * clientOf), and on reset emails per recipient address across tenants.
 */
export const ANONYMOUS_LIMITS = {
	register: { max: 10, windowMs: HOUR, what: "tenant registrations" },
	login: { max: 30, windowMs: MINUTE, what: "sign-in attempts" },
	reset: { max: 10, windowMs: HOUR, what: "password-reset requests" },
	reset_email: { max: 3, windowMs: HOUR, what: "password-reset emails" },
} as const;

export type LimitName = keyof typeof ANONYMOUS_LIMITS;

export type Hit = { allowed: boolean; count: number; windowEndsAt: number };

/**
 * Counts one hit of `subject` (a client, or a recipient address) against a
 * limit, in one D1 statement: an upsert that starts a new window when the
 * old one has ended and otherwise adds one, returning the new count. D1 runs
 * statements one at a time, so N concurrent hits get the counts 1..N and
 * exactly `max` of them are allowed. Refused hits are counted too (one write
 * either way); the count only decides, it is not shown.
 *
 * A window starts with the subject's first hit (not at the top of the hour):
 * whoever trips a limit waits the full window from their first request, and
 * a burst cannot straddle two clock-aligned windows to get twice the limit
 * in a few seconds.
 */
export async function hitLimit(env: Env, name: LimitName, subject: string, now: number): Promise<Hit> {
	const { max, windowMs } = ANONYMOUS_LIMITS[name];
	// Hashed: bounded key length, and no address is kept in clear (the hash is
	// unsalted, so this is tidiness, not anonymisation).
	const key = `${name}:${await sha256Hex(subject)}`;
	const ended = sql`${anonymousLimits.windowEndsAt} <= ${now}`;
	const row = await db(env)
		.insert(anonymousLimits)
		.values({ key, count: 1, windowEndsAt: now + windowMs })
		.onConflictDoUpdate({
			target: anonymousLimits.key,
			set: {
				// Both expressions read the row as it was before this statement.
				count: sql`CASE WHEN ${ended} THEN 1 ELSE ${anonymousLimits.count} + 1 END`,
				windowEndsAt: sql`CASE WHEN ${ended} THEN ${now + windowMs} ELSE ${anonymousLimits.windowEndsAt} END`,
			},
		})
		.returning({ count: anonymousLimits.count, windowEndsAt: anonymousLimits.windowEndsAt })
		.get();
	return { allowed: row!.count <= max, count: row!.count, windowEndsAt: row!.windowEndsAt };
}

/**
 * Counts this request against the client's limit and refuses it, past the
 * limit, with 429 RATE_LIMITED and Retry-After (seconds until the window
 * ends). Handlers call it first, after the body was validated (a malformed
 * body is answered without any I/O, so it is not worth a counter write)
 * and before any expensive work: D1 writes, PBKDF2, the lockout counter.
 */
export async function limitClient(c: Context<AppEnv>, name: Exclude<LimitName, "reset_email">, now = Date.now()): Promise<void> {
	const hit = await hitLimit(c.env, name, clientOf(c.req.header("cf-connecting-ip")), now);
	if (hit.allowed) return;
	const seconds = Math.max(1, Math.ceil((hit.windowEndsAt - now) / 1000));
	const { max, windowMs, what } = ANONYMOUS_LIMITS[name];
	throw new ApiError({
		code: "RATE_LIMITED",
		message: `Too many ${what} from your address (at most ${max} per ${windowMs === HOUR ? "hour" : "minute"}); try again in ${seconds} seconds.`,
		headers: { "Retry-After": String(seconds) },
	});
}

/**
 * True when one more reset email may go to `address` (at most 3 an hour,
 * across tenants): one inbox cannot be flooded through many tenants that
 * list it, nor through one tenant's form.
 */
export async function mayEmail(env: Env, address: string, now: number): Promise<boolean> {
	return (await hitLimit(env, "reset_email", address.toLowerCase(), now)).allowed;
}
