import { and, eq } from "drizzle-orm";
import { auditEntry } from "../../audit/audit";
import { attemptKey, beginAttempt, clearAttempts } from "../../auth/lockout";
import { revokeSessions } from "../../auth/sessions";
import { findUser } from "../../auth/users";
import { db } from "../../db/client";
import { tenants, users } from "../../db/schema";
import { hashPassword, verifyPassword } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import type { AppRouteHandler } from "../../lib/types";
import { presentUser } from "./auth.schemas";
import { invalidateResetTokens } from "../../auth/password-reset";
import type { changePassword, getProfile, patchProfile } from "./profile.routes";
import { endSessionSockets } from "../../auth/socket-sessions";

export const getProfileHandler: AppRouteHandler<typeof getProfile> = async (c) => {
	return c.json(presentUser(await findUser(c.env, c.get("user").tenantId, c.get("user").userId)), 200);
};

export const patchProfileHandler: AppRouteHandler<typeof patchProfile> = async (c) => {
	const user = c.get("user");
	const patch = c.req.valid("json");
	if (patch.full_name === undefined) return c.json(presentUser(await findUser(c.env, user.tenantId, user.userId)), 200);
	const fullName = patch.full_name || null;
	const d = db(c.env);
	const [[row]] = await d.batch([
		d
			.update(users)
			.set({ fullName, updatedAt: Date.now() })
			.where(and(eq(users.id, user.userId), eq(users.tenantId, user.tenantId)))
			.returning(),
		auditEntry(c, {
			tenantId: user.tenantId,
			action: "user.updated",
			target: { type: "user", id: user.userId },
			details: { full_name: fullName },
		}),
	]);
	if (!row) throw new ApiError({ code: "NOT_FOUND", message: "User not found." });
	return c.json(presentUser(row), 200);
};

/**
 * Checks the current password under the same lockout as sign-in (keyed by
 * tenant slug and email), then swaps the hash, signs out every other session
 * and voids outstanding reset links, in one batch.
 */
export const changePasswordHandler: AppRouteHandler<typeof changePassword> = async (c) => {
	const user = c.get("user");
	const { current_password, new_password } = c.req.valid("json");
	if (current_password === new_password) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: "The new password must differ from the current one.",
			details: [{ path: "new_password", message: "must differ from the current password" }],
		});
	}
	const now = Date.now();
	const d = db(c.env);
	const self = await d
		.select({ hash: users.passwordHash, slug: tenants.slug })
		.from(users)
		.innerJoin(tenants, eq(tenants.id, users.tenantId))
		.where(and(eq(users.id, user.userId), eq(users.tenantId, user.tenantId)))
		.get();
	if (!self) throw new ApiError({ code: "NOT_FOUND", message: "User not found." });
	const key = attemptKey(self.slug, user.email);
	await beginAttempt(c.env, key, now);
	if (!(await verifyPassword(current_password, self.hash))) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: "The current password is not correct.",
			details: [{ path: "current_password", message: "is not correct" }],
		});
	}
	const hash = await hashPassword(new_password);
	await d.batch([
		d.update(users).set({ passwordHash: hash, updatedAt: now }).where(eq(users.id, user.userId)),
		revokeSessions(c.env, user.tenantId, user.userId, "password_changed", { keep: user.sessionId }),
		invalidateResetTokens(c.env, user.userId, now),
		clearAttempts(c.env, key),
		auditEntry(c, { tenantId: user.tenantId, action: "auth.password.changed", target: { type: "user", id: user.userId } }),
	]);
	await endSessionSockets(c.env, user.tenantId, user.userId, { keep: user.sessionId });
	return c.body(null, 204);
};
