import { sql } from "drizzle-orm";
import { db } from "../db/client";
import { loginAttempts } from "../db/schema";
import { newId } from "../lib/crypto";
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

/** One counted attempt: its place in the run of failures, the run's audit entry, and the lock if there is one. */
export type Attempt = { failures: number; auditId: string; lockedForSeconds: number | null };

/**
 * Counts an attempt before its password is checked, in one atomic statement.
 * Counting first is what makes the limit hold under concurrency: of N
 * guesses sent at once, only the first five are checked. A success calls
 * `clearAttempts`; a failure leaves the count where it is. A run restarts
 * after an expired lock or a quiet window of 15 minutes, and gets a new
 * `auditId` then: the id of the one audit entry all its failures update.
 * `lockedForSeconds` is set when five earlier attempts in a row failed.
 */
export async function countAttempt(env: Env, key: string, now: number): Promise<Attempt> {
	const stale = sql`(${loginAttempts.lockedUntil} IS NOT NULL AND ${loginAttempts.lockedUntil} <= ${now}) OR ${loginAttempts.updatedAt} <= ${now - LOCK_MS}`;
	const runId = newId();
	const row = await db(env)
		.insert(loginAttempts)
		.values({ key, failures: 1, lockedUntil: null, updatedAt: now, auditId: runId })
		.onConflictDoUpdate({
			target: loginAttempts.key,
			set: {
				failures: sql`CASE WHEN ${stale} THEN 1 ELSE ${loginAttempts.failures} + 1 END`,
				lockedUntil: sql`CASE WHEN ${stale} THEN NULL WHEN ${loginAttempts.failures} + 1 >= ${MAX_FAILURES} THEN coalesce(${loginAttempts.lockedUntil}, ${now + LOCK_MS}) ELSE ${loginAttempts.lockedUntil} END`,
				// A row from before audit ids existed gets one on its next attempt.
				auditId: sql`CASE WHEN ${stale} THEN ${runId} ELSE coalesce(${loginAttempts.auditId}, ${runId}) END`,
				updatedAt: now,
			},
		})
		.returning()
		.get();
	const locked = row!.failures > MAX_FAILURES && row!.lockedUntil !== null && row!.lockedUntil > now;
	return {
		failures: row!.failures,
		auditId: row!.auditId ?? runId,
		lockedForSeconds: locked ? Math.max(1, Math.ceil((row!.lockedUntil! - now) / 1000)) : null,
	};
}

/** 429 ACCOUNT_LOCKED with Retry-After. */
export function accountLocked(seconds: number): ApiError {
	return new ApiError({
		code: "ACCOUNT_LOCKED",
		message: `Too many failed attempts; try again in ${Math.ceil(seconds / 60)} minute(s) or reset the password.`,
		headers: { "Retry-After": String(seconds) },
	});
}

/** `countAttempt`, refusing a locked account with 429 ACCOUNT_LOCKED (for password changes). */
export async function beginAttempt(env: Env, key: string, now: number): Promise<void> {
	const attempt = await countAttempt(env, key, now);
	if (attempt.lockedForSeconds !== null) throw accountLocked(attempt.lockedForSeconds);
}

/** A success ends the run of failures (a query for a batch). */
export function clearAttempts(env: Env, key: string) {
	return db(env).delete(loginAttempts).where(sql`${loginAttempts.key} = ${key}`);
}
