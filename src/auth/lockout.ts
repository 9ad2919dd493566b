import { sql } from "drizzle-orm";
import { db } from "../db/client";
import { loginAttempts } from "../db/schema";
import { ApiError } from "../lib/errors";

/** Failed attempts in a row that lock an account. */
export const MAX_FAILURES = 5;
/** How long a lock lasts, and how long a run of failures is remembered. */
export const LOCK_MS = 15 * 60 * 1000;

/**
 * The lockout key: tenant slug and email as typed, whether or not such an
 * account exists, so a lock (or its absence) never tells which accounts do.
 */
export const attemptKey = (slug: string, email: string) => `${slug}\n${email}`;

/**
 * Counts an attempt before its password is checked, in one atomic statement,
 * and refuses it with 429 ACCOUNT_LOCKED (and Retry-After) when five earlier
 * attempts in a row failed. Counting first is what makes the limit hold under
 * concurrency: of N guesses sent at once, only the first five are checked.
 * A success calls `clearAttempts`; a failure leaves the count where it is.
 * A run restarts after an expired lock or a quiet window of 15 minutes.
 */
export async function beginAttempt(env: Env, key: string, now: number): Promise<void> {
	const stale = sql`(${loginAttempts.lockedUntil} IS NOT NULL AND ${loginAttempts.lockedUntil} <= ${now}) OR ${loginAttempts.updatedAt} <= ${now - LOCK_MS}`;
	const row = await db(env)
		.insert(loginAttempts)
		.values({ key, failures: 1, lockedUntil: null, updatedAt: now })
		.onConflictDoUpdate({
			target: loginAttempts.key,
			set: {
				failures: sql`CASE WHEN ${stale} THEN 1 ELSE ${loginAttempts.failures} + 1 END`,
				lockedUntil: sql`CASE WHEN ${stale} THEN NULL WHEN ${loginAttempts.failures} + 1 >= ${MAX_FAILURES} THEN coalesce(${loginAttempts.lockedUntil}, ${now + LOCK_MS}) ELSE ${loginAttempts.lockedUntil} END`,
				updatedAt: now,
			},
		})
		.returning()
		.get();
	if (row && row.failures > MAX_FAILURES && row.lockedUntil && row.lockedUntil > now) {
		const seconds = Math.max(1, Math.ceil((row.lockedUntil - now) / 1000));
		throw new ApiError({
			code: "ACCOUNT_LOCKED",
			message: `Too many failed attempts; try again in ${Math.ceil(seconds / 60)} minute(s) or reset the password.`,
			headers: { "Retry-After": String(seconds) },
		});
	}
}

/** A success ends the run of failures (a query for a batch). */
export function clearAttempts(env: Env, key: string) {
	return db(env).delete(loginAttempts).where(sql`${loginAttempts.key} = ${key}`);
}
