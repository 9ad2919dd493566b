import { and, eq } from "drizzle-orm";
import { auditEntry, auditIfChanged, signInFailureEntry } from "../../audit/audit";
import { limitClient } from "../../auth/anonymous-limits";
import { accountLocked, attemptKey, clearAttempts, countAttempt } from "../../auth/lockout";
import { newSession, revokeSessions, rotateRefreshToken, sessionTokens } from "../../auth/sessions";
import { db } from "../../db/client";
import { sessions, tenants, users } from "../../db/schema";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "../../lib/crypto";
import { unauthorized } from "../../lib/errors";
import { verifyRefreshToken } from "../../lib/jwt";
import { tenantSuspended } from "../../lib/auth";
import type { AppRouteHandler } from "../../lib/types";
import { presentUser } from "./auth.schemas";
import type { login, logout, refresh } from "./session.routes";
import { endSessionSockets } from "../../auth/socket-sessions";

const WRONG_CREDENTIALS = "The tenant, email or password is incorrect.";

/**
 * Signs in. The client's address is counted first (30 attempts a minute), so
 * a refused request costs no lookup, no lockout count and no PBKDF2. Then
 * the attempt is counted (and refused when locked) while the tenant and user
 * are read; the password is always verified, against a dummy hash when
 * there is no such user, so every failure costs the same time and says the
 * same thing. The lock is keyed by what was typed, so it behaves the same
 * for accounts that do not exist. Failures, refused-while-locked ones
 * included, grow the run's one audit entry.
 */
export const loginHandler: AppRouteHandler<typeof login> = async (c) => {
	const { tenant: slug, email, password } = c.req.valid("json");
	const now = Date.now();
	await limitClient(c, "login", now);
	const key = attemptKey(slug, email);
	const d = db(c.env);
	const [attempt, found] = await Promise.all([
		countAttempt(c.env, key, now),
		d
			.select({ tenantId: tenants.id, suspendedAt: tenants.suspendedAt, user: users })
			.from(tenants)
			.leftJoin(users, and(eq(users.tenantId, tenants.id), eq(users.email, email)))
			.where(eq(tenants.slug, slug))
			.get(),
	]);
	const user = found?.user ?? null;
	const failed = async (reason: string) => {
		if (!found) return;
		await signInFailureEntry(c, {
			tenantId: found.tenantId,
			auditId: attempt.auditId,
			email,
			reason,
			count: attempt.failures,
			...(user && { userId: user.id }),
		}).run();
	};
	if (attempt.lockedForSeconds !== null) {
		await failed("locked");
		throw accountLocked(attempt.lockedForSeconds);
	}
	const passwordOk = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
	if (!user || !user.isActive || !passwordOk) {
		await failed(!user ? "unknown_email" : !user.isActive ? "deactivated" : "wrong_password");
		throw unauthorized(WRONG_CREDENTIALS);
	}
	// Only after the password checked out: a suspension is news to the account's owner, not to a guesser.
	// The right password ends the failure run, so sign-ins tried during a suspension never lock the account.
	if (found?.suspendedAt != null) {
		await clearAttempts(c.env, key).run();
		throw tenantSuspended();
	}
	const session = newSession(user, now, c.req.header("user-agent"));
	await d.batch([
		d.insert(sessions).values(session),
		clearAttempts(c.env, key),
		// No session id in audit details: the log is for people, and a session
		// id is a handle on somebody's sign-in that an admin has no use for.
		auditEntry(c, {
			tenantId: user.tenantId,
			action: "auth.login.succeeded",
			actor: { type: "user", id: user.id, email: user.email },
			target: { type: "user", id: user.id },
		}),
	]);
	const tokens = await sessionTokens(c.env, user, session);
	return c.json({ ...tokens, user: presentUser(user) }, 200);
};

export const refreshHandler: AppRouteHandler<typeof refresh> = async (c) => {
	const { refresh_token } = c.req.valid("json");
	const result = await rotateRefreshToken(c.env, refresh_token, (reuse) =>
		auditIfChanged(c, {
			tenantId: reuse.tenantId,
			action: "auth.refresh_reuse_detected",
			actor: { type: "anonymous" },
			target: { type: "user", id: reuse.userId },
		}),
	);
	if (!result.ok) throw result.suspended ? tenantSuspended() : unauthorized("The refresh token is invalid, expired or already used.");
	return c.json(result.tokens, 200);
};

/**
 * Ends the session a refresh token belongs to, or, without one, the session
 * of the access token. A refresh token of somebody else is a 401.
 */
export const logoutHandler: AppRouteHandler<typeof logout> = async (c) => {
	const user = c.get("user");
	const body = c.req.valid("json") as { refresh_token?: string } | undefined;
	let sessionId = user.sessionId;
	if (body?.refresh_token) {
		const claims = await verifyRefreshToken(c.env, body.refresh_token);
		if (!claims || claims.sub !== user.userId || claims.tid !== user.tenantId) {
			throw unauthorized("The refresh token is invalid, expired, or not yours.");
		}
		sessionId = claims.fam;
	}
	const d = db(c.env);
	await d.batch([
		revokeSessions(c.env, user.tenantId, user.userId, "logout", { only: sessionId }),
		auditEntry(c, {
			tenantId: user.tenantId,
			action: "auth.logout",
			target: { type: "user", id: user.userId },
		}),
	]);
	await endSessionSockets(c.env, user.tenantId, user.userId, { only: sessionId });
	return c.body(null, 204);
};
