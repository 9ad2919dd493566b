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

/** The query reading an attempt row, to run in the batch of a sign-in lookup. */
export function attemptQuery(env: Env, key: string) {
	return db(env).select().from(loginAttempts).where(sql`${loginAttempts.key} = ${key}`);
}

/** 429 ACCOUNT_LOCKED with Retry-After while the lock of that row runs. */
export function assertNotLocked(row: { lockedUntil: number | null } | undefined, now: number): void {
	if (row?.lockedUntil && row.lockedUntil > now) {
		const seconds = Math.max(1, Math.ceil((row.lockedUntil - now) / 1000));
		throw new ApiError({
			code: "ACCOUNT_LOCKED",
			message: `Too many failed attempts; try again in ${Math.ceil(seconds / 60)} minute(s) or reset the password.`,
			headers: { "Retry-After": String(seconds) },
		});
	}
}

/**
 * Counts one failure, atomically in one statement (a query for a batch). A run restarts after an
 * expired lock or a quiet window; the fifth failure in a row sets the lock.
 */
export function recordFailure(env: Env, key: string, now: number) {
	const stale = sql`(${loginAttempts.lockedUntil} IS NOT NULL AND ${loginAttempts.lockedUntil} <= ${now}) OR ${loginAttempts.updatedAt} <= ${now - LOCK_MS}`;
	return db(env)
		.insert(loginAttempts)
		.values({ key, failures: 1, lockedUntil: null, updatedAt: now })
		.onConflictDoUpdate({
			target: loginAttempts.key,
			set: {
				failures: sql`CASE WHEN ${stale} THEN 1 ELSE ${loginAttempts.failures} + 1 END`,
				lockedUntil: sql`CASE WHEN ${stale} THEN NULL WHEN ${loginAttempts.failures} + 1 >= ${MAX_FAILURES} THEN ${now + LOCK_MS} ELSE ${loginAttempts.lockedUntil} END`,
				updatedAt: now,
			},
		});
}

/** A success ends the run of failures. */
export function clearFailures(env: Env, key: string) {
	return db(env).delete(loginAttempts).where(sql`${loginAttempts.key} = ${key}`);
}
