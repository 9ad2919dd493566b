import type { Context } from "hono";
import { and, asc, eq, sql } from "drizzle-orm";
import { auditEntry, auditIfChanged } from "../../audit/audit";
import { revokeSessions } from "../../auth/sessions";
import { findUser } from "../../auth/users";
import { db, isUniqueViolation } from "../../db/client";
import { users } from "../../db/schema";
import { assertMayManage } from "../../lib/auth";
import { hashPassword, newId } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import type { Role } from "../../lib/jwt";
import type { AppEnv, AppRouteHandler } from "../../lib/types";
import { presentUser } from "../auth/auth.schemas";
import type { createUser, deleteUser, listUsers, patchUser } from "./users.routes";
import { endSessionSockets } from "../../auth/socket-sessions";

export const listUsersHandler: AppRouteHandler<typeof listUsers> = async (c) => {
	const rows = await db(c.env)
		.select()
		.from(users)
		.where(eq(users.tenantId, c.get("user").tenantId))
		.orderBy(asc(users.createdAt), asc(users.id))
		.all();
	return c.json({ users: rows.map(presentUser) }, 200);
};

export const createUserHandler: AppRouteHandler<typeof createUser> = async (c) => {
	const actor = c.get("user");
	const body = c.req.valid("json");
	assertMayManage(actor.role, null, body.role);
	const now = Date.now();
	const user = {
		id: newId(),
		tenantId: actor.tenantId,
		email: body.email,
		fullName: body.full_name || null,
		role: body.role,
		passwordHash: await hashPassword(body.password),
		createdAt: now,
	};
	const d = db(c.env);
	try {
		const [[row]] = await d.batch([
			d.insert(users).values(user).returning(),
			auditEntry(c, {
				tenantId: actor.tenantId,
				action: "user.created",
				target: { type: "user", id: user.id },
				details: { email: user.email, role: user.role },
			}),
		]);
		return c.json(presentUser(row!), 201);
	} catch (err) {
		if (isUniqueViolation(err, "users.tenant_id")) {
			throw new ApiError({ code: "CONFLICT", message: "A user with that email already exists in this tenant." });
		}
		throw err;
	}
};

type Change = { role?: Role; isActive?: boolean; fullName?: string | null };

/**
 * Applies a role, name or active change that the caller may make. One guarded
 * UPDATE keeps the rules true under concurrency: it only applies while the
 * target still has the role the permission check saw, and a change that takes
 * away an active owner only applies while another active owner remains. Its
 * audit row and session revocation are in the same batch and apply only if
 * it did.
 */
async function changeUser(c: Context<AppEnv>, id: string, change: Change) {
	const actor = c.get("user");
	const target = await findUser(c.env, actor.tenantId, id);
	assertMayManage(actor.role, target.role, change.role);
	const set = {
		...(change.role !== undefined && change.role !== target.role && { role: change.role }),
		...(change.isActive !== undefined && change.isActive !== target.isActive && { isActive: change.isActive }),
		...(change.fullName !== undefined && change.fullName !== target.fullName && { fullName: change.fullName }),
	};
	if (Object.keys(set).length === 0) return target;
	// Guarded whatever the target's state was when read: it may be reactivated meanwhile.
	const losesOwner = target.role === "owner" && ((set.role && set.role !== "owner") || set.isActive === false);
	const deactivated = set.isActive === false;
	const d = db(c.env);
	const [[updated]] = await d.batch([
		d
			.update(users)
			.set({ ...set, updatedAt: Date.now() })
			.where(
				and(
					eq(users.id, id),
					eq(users.tenantId, actor.tenantId),
					eq(users.role, target.role),
					eq(users.isActive, target.isActive),
					losesOwner
						? sql`exists (select 1 from users o where o.tenant_id = ${actor.tenantId} and o.role = 'owner' and o.is_active = 1 and o.id <> ${id})`
						: undefined,
				),
			)
			.returning(),
		auditIfChanged(c, {
			tenantId: actor.tenantId,
			action: deactivated ? "user.deactivated" : "user.updated",
			target: { type: "user", id },
			details: {
				email: target.email,
				before: { role: target.role, is_active: target.isActive, full_name: target.fullName },
				after: { role: set.role ?? target.role, is_active: set.isActive ?? target.isActive, full_name: set.fullName !== undefined ? set.fullName : target.fullName },
			},
		}),
		// A deactivated user is signed out everywhere at once.
		...(deactivated ? [revokeSessions(c.env, actor.tenantId, id, "deactivated", { ifDeactivated: true })] : []),
	]);
	if (!updated) {
		throw new ApiError({
			code: "CONFLICT",
			message: losesOwner
				? "This is the tenant's last active owner: make another user owner first."
				: "The user changed meanwhile; read it again and retry.",
		});
	}
	if (deactivated) await endSessionSockets(c.env, actor.tenantId, id);
	return updated;
}

export const patchUserHandler: AppRouteHandler<typeof patchUser> = async (c) => {
	const patch = c.req.valid("json");
	const row = await changeUser(c, c.req.valid("param").id, {
		role: patch.role,
		isActive: patch.is_active,
		fullName: patch.full_name === undefined ? undefined : patch.full_name || null,
	});
	return c.json(presentUser(row), 200);
};

export const deleteUserHandler: AppRouteHandler<typeof deleteUser> = async (c) => {
	await changeUser(c, c.req.valid("param").id, { isActive: false });
	return c.body(null, 204);
};
