import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { db } from "../db/client";
import { passwordResets, tenants } from "../db/schema";
import { randomBytes, sha256Hex, toBase64Url } from "../lib/crypto";

/** A reset link works for one hour, once. */
export const RESET_TTL_MS = 60 * 60 * 1000;
/** At most one reset email per account per minute, so the form cannot be used to flood a mailbox. */
export const RESET_THROTTLE_MS = 60 * 1000;

/** A new reset token (256 random bits, shown only in the email) and the row that stores its hash. */
export async function newResetToken(user: { id: string; tenantId: string }, now: number) {
	const token = toBase64Url(randomBytes(32));
	return {
		token,
		row: {
			tokenHash: await sha256Hex(token),
			tenantId: user.tenantId,
			userId: user.id,
			createdAt: now,
			expiresAt: now + RESET_TTL_MS,
		},
	};
}

/** True when a reset was requested for this user within the throttle window. */
export async function recentlyRequested(env: Env, userId: string, now: number): Promise<boolean> {
	const row = await db(env)
		.select({ n: sql<number>`count(*)` })
		.from(passwordResets)
		.where(and(eq(passwordResets.userId, userId), gt(passwordResets.createdAt, now - RESET_THROTTLE_MS)))
		.get();
	return (row?.n ?? 0) > 0;
}

/**
 * Uses a token up: one statement marks it used only if it is unused and
 * unexpired, so of two concurrent confirmations exactly one gets the user.
 */
export async function claimResetToken(env: Env, token: string, now: number) {
	return db(env)
		.update(passwordResets)
		.set({ usedAt: now })
		.where(
			and(
				eq(passwordResets.tokenHash, await sha256Hex(token)),
				isNull(passwordResets.usedAt),
				gt(passwordResets.expiresAt, now),
				// A suspended tenant's link is not used up: it works again once the suspension is lifted (within its hour).
				sql`NOT EXISTS (SELECT 1 FROM ${tenants} WHERE ${tenants.id} = ${passwordResets.tenantId} AND ${tenants.suspendedAt} IS NOT NULL)`,
			),
		)
		.returning({ userId: passwordResets.userId, tenantId: passwordResets.tenantId })
		.get();
}

/** Whether an unclaimed, unexpired reset token belongs to a suspended tenant (asked only after a claim failed). */
export async function isSuspendedTenantToken(env: Env, token: string, now: number): Promise<boolean> {
	const row = await db(env)
		.select({ suspendedAt: tenants.suspendedAt })
		.from(passwordResets)
		.innerJoin(tenants, eq(tenants.id, passwordResets.tenantId))
		.where(and(eq(passwordResets.tokenHash, await sha256Hex(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
		.get();
	return row?.suspendedAt != null;
}

/** Voids a user's outstanding reset links (after any password change): a query for a batch. */
export function invalidateResetTokens(env: Env, userId: string, now: number) {
	return db(env)
		.update(passwordResets)
		.set({ usedAt: now })
		.where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
}
