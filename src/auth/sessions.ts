import { endSessionSockets } from "./socket-sessions";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { db } from "../db/client";
import { sessions, tenants, users } from "../db/schema";
import { newId } from "../lib/crypto";
import { REFRESH_TTL_SECONDS, type Role, type TokenPair, issueTokens, verifyRefreshToken } from "../lib/jwt";
import { log } from "../lib/log";

type SessionUser = { id: string; tenantId: string; role: Role };
export type NewSession = typeof sessions.$inferInsert;

const REFRESH_TTL_MS = REFRESH_TTL_SECONDS * 1000;
/** However often it is refreshed, a session ends this long after sign-in. */
export const SESSION_MAX_MS = 30 * 24 * 60 * 60 * 1000;

/** A session row for `user`, to insert alone or in the batch of a larger write. */
export function newSession(user: SessionUser, now: number, userAgent?: string | null): NewSession {
	return {
		id: newId(),
		tenantId: user.tenantId,
		userId: user.id,
		refreshJti: newId(),
		createdAt: now,
		lastUsedAt: now,
		expiresAt: now + REFRESH_TTL_MS,
		userAgent: userAgent?.slice(0, 256) ?? null,
	};
}

/** The token pair of a session row just written. */
export function sessionTokens(env: Env, user: SessionUser, session: NewSession): Promise<TokenPair> {
	return issueTokens(env, user, session.id, session.refreshJti).then(strip);
}

const strip = ({ access_token, refresh_token, token_type, expires_in }: TokenPair): TokenPair => ({
	access_token,
	refresh_token,
	token_type,
	expires_in,
});

export type Rotated = { ok: true; tokens: TokenPair } | { ok: false; suspended?: true };
export type Reuse = { tenantId: string; userId: string; sessionId: string };

/**
 * Exchanges a refresh token for a new pair. The swap is one compare-and-set
 * on the session row (the presented jti must still be the current one), so
 * of two concurrent uses of one token exactly one wins. A token that lost,
 * or was already used, is reuse: the whole family is revoked, since either
 * the client or someone holding a copy is replaying it.
 */
export async function rotateRefreshToken(
	env: Env,
	token: string,
	/** The audit row of a reuse, written in the batch of the revocation and only if it happened. */
	auditReuse: (reuse: Reuse) => BatchItem<"sqlite">,
	now = Date.now(),
): Promise<Rotated> {
	const claims = await verifyRefreshToken(env, token);
	if (!claims) return { ok: false };
	const d = db(env);
	const user = await d
		.select({ role: users.role, isActive: users.isActive, suspendedAt: tenants.suspendedAt })
		.from(users)
		.innerJoin(tenants, eq(tenants.id, users.tenantId))
		.where(and(eq(users.id, claims.sub), eq(users.tenantId, claims.tid)))
		.get();
	if (!user?.isActive) return { ok: false };
	const current = and(
		eq(sessions.id, claims.fam),
		eq(sessions.tenantId, claims.tid),
		eq(sessions.userId, claims.sub),
		eq(sessions.refreshJti, claims.jti),
		isNull(sessions.revokedAt),
		sql`${sessions.expiresAt} > ${now}`,
		sql`${sessions.createdAt} > ${now - SESSION_MAX_MS}`,
	);
	const suspended = user.suspendedAt !== null;
	const nextJti = newId();
	// A suspended tenant's token is never rotated (it stays the current one, so the session works
	// again once the suspension is lifted), but a reused one still revokes its family below.
	const swapped = suspended
		? await d.select({ id: sessions.id }).from(sessions).where(current).get()
		: await d
				.update(sessions)
				.set({ refreshJti: nextJti, lastUsedAt: now, expiresAt: now + REFRESH_TTL_MS })
				.where(current)
				.returning({ id: sessions.id })
				.get();
	if (swapped && suspended) return { ok: false, suspended: true };
	if (!swapped) {
		// Reuse is an older token of a live session; an expired or revoked one is just refused.
		const reuse = { tenantId: claims.tid, userId: claims.sub, sessionId: claims.fam };
		const revoke = d
			.update(sessions)
			.set({ revokedAt: now, revokedReason: "refresh_reuse" })
			.where(
				and(
					eq(sessions.id, claims.fam),
					eq(sessions.tenantId, claims.tid),
					ne(sessions.refreshJti, claims.jti),
					isNull(sessions.revokedAt),
					sql`${sessions.expiresAt} > ${now}`,
				),
			)
			.returning({ id: sessions.id });
		const [revoked] = await d.batch([revoke, auditReuse(reuse)]);
		if (revoked.length > 0) {
			log("warn", "refresh token reused; session revoked", { tenant_id: claims.tid, session_id: claims.fam });
			await endSessionSockets(env, claims.tid, claims.sub, { only: claims.fam });
		}
		return { ok: false };
	}
	const pair = await issueTokens(env, { id: claims.sub, tenantId: claims.tid, role: user.role }, claims.fam, nextJti);
	return { ok: true, tokens: strip(pair) };
}

/**
 * Ends sessions of a user; their access tokens stop working at once. A query
 * for a batch. `only` ends that one session (logout); otherwise every session
 * ends (password change or reset, deactivation) but `keep`, the caller's own.
 * `ifDeactivated` applies it only when the user is inactive by then, for a
 * batch whose deactivation is guarded and may not apply.
 */
export function revokeSessions(
	env: Env,
	tenantId: string,
	userId: string,
	reason: string,
	opts: { only?: string; keep?: string; ifDeactivated?: boolean } = {},
) {
	return db(env)
		.update(sessions)
		.set({ revokedAt: Date.now(), revokedReason: reason })
		.where(
			and(
				eq(sessions.tenantId, tenantId),
				eq(sessions.userId, userId),
				isNull(sessions.revokedAt),
				opts.only ? eq(sessions.id, opts.only) : undefined,
				opts.keep ? ne(sessions.id, opts.keep) : undefined,
				opts.ifDeactivated
					? sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.isActive} = 0)`
					: undefined,
			),
		);
}
