import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { auditEntry } from "../../audit/audit";
import { limitClient, mayEmail } from "../../auth/anonymous-limits";
import { attemptKey, clearAttempts } from "../../auth/lockout";
import { RESET_TTL_MS, claimResetToken, invalidateResetTokens, isSuspendedTenantToken, newResetToken, recentlyRequested } from "../../auth/password-reset";
import { revokeSessions } from "../../auth/sessions";
import { db } from "../../db/client";
import { passwordResets, tenants, users } from "../../db/schema";
import { resetEmail } from "../../email/reset-email";
import { sendEmail } from "../../email/send";
import { hashPassword } from "../../lib/crypto";
import { unauthorized } from "../../lib/errors";
import { tenantSuspended } from "../../lib/auth";
import { log } from "../../lib/log";
import type { AppEnv, AppRouteHandler } from "../../lib/types";
import type { confirmReset, requestReset } from "./password.routes";
import { endSessionSockets } from "../../auth/socket-sessions";

/**
 * Answers 202 at once and does the lookup and the email after the answer,
 * so neither the status nor the time tells whether the account exists.
 * Only the client's own limit (10 requests an hour) can refuse it (429),
 * and that limit says nothing about any account.
 */
export const requestResetHandler: AppRouteHandler<typeof requestReset> = async (c) => {
	const { tenant, email } = c.req.valid("json");
	await limitClient(c, "reset");
	const base = publicBaseUrl(c);
	if (!base) {
		log("error", "APP_URL is not set, so no password reset link can be sent; set it in wrangler.toml [vars]", {
			request_id: c.get("requestId"),
		});
		return c.json(ACCEPTED, 202);
	}
	c.executionCtx.waitUntil(
		emailResetLink(c, tenant, email, base).catch((err) =>
			log("error", "password reset email failed", { request_id: c.get("requestId"), error: String(err) }),
		),
	);
	return c.json(ACCEPTED, 202);
};

const ACCEPTED = { message: "If that account exists, an email with a reset link is on its way." };

/**
 * Where emailed links point. Outside development it must be configured
 * (APP_URL): a link built from the request's Host could be steered to
 * another site by whoever sends the request.
 */
function publicBaseUrl(c: Context<AppEnv>): string | null {
	const base = c.env.APP_URL || (c.env.ENVIRONMENT === "development" ? new URL(c.req.url).origin : "");
	return base ? base.replace(/\/+$/, "") : null;
}

/**
 * Looks the account up and, unless the account was sent a link within the
 * minute or its address already got 3 reset emails this hour (across all
 * tenants), stores a token and sends the link. The recipient limit is
 * counted last, so it counts only emails that are about to go out.
 */
async function emailResetLink(c: Context<AppEnv>, slug: string, email: string, base: string): Promise<void> {
	const now = Date.now();
	const d = db(c.env);
	const found = await d
		.select({ user: users, suspendedAt: tenants.suspendedAt })
		.from(users)
		.innerJoin(tenants, eq(tenants.id, users.tenantId))
		.where(and(eq(tenants.slug, slug), eq(users.email, email)))
		.get();
	// A suspended tenant sends no email (suspension is how an operator stops a tenant used to phish).
	if (!found?.user.isActive || found.suspendedAt !== null || (await recentlyRequested(c.env, found.user.id, now))) return;
	const { user } = found;
	if (!(await mayEmail(c.env, user.email, now))) return;
	const { token, row } = await newResetToken(user, now);
	await d.batch([
		d.insert(passwordResets).values(row),
		auditEntry(c, {
			tenantId: user.tenantId,
			action: "auth.password_reset.requested",
			actor: { type: "anonymous", email },
			target: { type: "user", id: user.id },
		}),
	]);
	const link = `${base}/dashboard/reset-password?token=${encodeURIComponent(token)}`;
	await sendEmail(c.env, resetEmail(user.email, link, RESET_TTL_MS / 60_000));
}

/**
 * Uses the token up (once, within the hour), sets the password, ends every
 * session of the user, voids other reset links and lifts a lockout.
 */
export const confirmResetHandler: AppRouteHandler<typeof confirmReset> = async (c) => {
	const { token, new_password } = c.req.valid("json");
	const now = Date.now();
	const invalid = () => unauthorized("The reset token is invalid, expired or already used.");
	const claimed = await claimResetToken(c.env, token, now);
	if (!claimed) throw (await isSuspendedTenantToken(c.env, token, now)) ? tenantSuspended() : invalid();
	const d = db(c.env);
	const user = await d
		.select({ email: users.email, isActive: users.isActive, slug: tenants.slug })
		.from(users)
		.innerJoin(tenants, eq(tenants.id, users.tenantId))
		.where(and(eq(users.id, claimed.userId), eq(users.tenantId, claimed.tenantId)))
		.get();
	if (!user?.isActive) throw invalid();
	const hash = await hashPassword(new_password);
	await d.batch([
		d.update(users).set({ passwordHash: hash, updatedAt: now }).where(eq(users.id, claimed.userId)),
		revokeSessions(c.env, claimed.tenantId, claimed.userId, "password_reset"),
		invalidateResetTokens(c.env, claimed.userId, now),
		clearAttempts(c.env, attemptKey(user.slug, user.email)),
		auditEntry(c, {
			tenantId: claimed.tenantId,
			action: "auth.password_reset.completed",
			actor: { type: "user", id: claimed.userId, email: user.email },
			target: { type: "user", id: claimed.userId },
		}),
	]);
	await endSessionSockets(c.env, claimed.tenantId, claimed.userId);
	return c.body(null, 204);
};
