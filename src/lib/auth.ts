import type { Context, MiddlewareHandler } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { db } from "../db/client";
import { sessions, tenants, users } from "../db/schema";
import { isApiKeyShaped, readApiKey } from "./api-key";
import { ApiError, unauthorized } from "./errors";
import { type Role, verifyAccessToken } from "./jwt";
import type { Scope } from "./scopes";
import type { AppEnv, KeyPrincipal, UserPrincipal } from "./types";

/**
 * Every authentication and role rule of the API lives in this file: routes
 * declare `requireRead` or `requireUser(role)` in their definition, and the
 * user-management rules that depend on the target (`assertMayManage`) are
 * here too, so no handler writes a role check of its own.
 */

/** The tenant's object, the serialization point for everything per-tenant. */
export function tenantStub(env: Env, tenantId: string) {
	return env.TENANT.getByName(tenantId);
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

export const hasRole = (role: Role, least: Role) => ROLE_RANK[role] >= ROLE_RANK[least];

const forbidden = (message: string) => new ApiError({ code: "FORBIDDEN", message });

/** The one answer to every credential of a suspended tenant (keys, users, sign-ins, sockets). */
export const tenantSuspended = () =>
	forbidden("The tenant is suspended by the platform operator; its data is kept. Contact the operator to lift it.");

/**
 * Admins manage viewers and admins; only an owner may change an owner or make
 * someone an owner. `target` is the user's current role (none when creating).
 */
export function assertMayManage(actor: Role, target: Role | null, newRole?: Role): void {
	if (!hasRole(actor, "admin")) throw forbidden("Managing users needs the admin or owner role.");
	if ((target === "owner" || newRole === "owner") && actor !== "owner") {
		throw forbidden("Only an owner can create, change or remove an owner.");
	}
}

function bearerToken(c: Context<AppEnv>): string | null {
	const header = c.req.header("authorization");
	if (!header) return null;
	const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header);
	if (!match) throw unauthorized("The Authorization header must be `Bearer <access_token>`.");
	return match[1]!;
}

/**
 * A valid signature is not enough: the user must still be active and the
 * session not revoked (logout, password change, refresh reuse), so one D1
 * lookup per user request makes revocation immediate. The role is read from
 * D1 as well, so a role change applies to the very next request.
 */
export async function userPrincipal(env: Env, token: string): Promise<UserPrincipal> {
	const claims = await verifyAccessToken(env, token);
	if (!claims) throw unauthorized("The access token is invalid or expired.");
	// The tenant joins the same query: suspension costs no extra D1 round trip.
	const row = await db(env)
		.select({ role: users.role, email: users.email, isActive: users.isActive, suspendedAt: tenants.suspendedAt })
		.from(users)
		.innerJoin(sessions, and(eq(sessions.id, claims.sid), eq(sessions.userId, users.id), isNull(sessions.revokedAt)))
		.innerJoin(tenants, eq(tenants.id, users.tenantId))
		.where(and(eq(users.id, claims.sub), eq(users.tenantId, claims.tid)))
		.get();
	if (!row?.isActive) throw unauthorized("The access token is revoked, or its user is deactivated.");
	if (row.suspendedAt !== null) throw tenantSuspended();
	return { kind: "user", tenantId: claims.tid, userId: claims.sub, role: row.role, sessionId: claims.sid, email: row.email };
}

/**
 * Authenticates an `X-API-Key` for a use that needs `scope`. A malformed or
 * forged key (see api-key.ts), or a header holding several keys, never
 * reaches an object; the object answers the key's scopes (no D1), so a key
 * used outside them is a 403 without a second call.
 */
export async function keyPrincipal(env: Env, header: string | undefined, scope: Scope): Promise<KeyPrincipal> {
	const { tenantId, keyHash } = await readApiKey(env, header);
	const auth = await tenantStub(env, tenantId).authenticate(tenantId, keyHash, scope);
	if (auth === "unknown") throw unauthorized("The API key is unknown or revoked.");
	if (auth === "suspended") throw tenantSuspended();
	if (!auth.scopes.includes(scope)) throw outOfScope(scope);
	return { kind: "key", tenantId, scopes: auth.scopes };
}

/** 403 for a key used outside its scopes (an ingest-only key reading, a read-only key sending). */
export const outOfScope = (scope: Scope) =>
	forbidden(`This API key does not have the ${scope} scope; create one with it at POST /api/v1/api-keys.`);

/** Read routes: an API key with the read scope, or a user access token of the tenant. */
export const requireRead: MiddlewareHandler<AppEnv> = async (c, next) => {
	const token = bearerToken(c);
	const key = c.req.header("x-api-key");
	if (token) c.set("principal", await userPrincipal(c.env, token));
	else if (key !== undefined) c.set("principal", await keyPrincipal(c.env, key, "read"));
	else throw unauthorized();
	await next();
};

/**
 * GET /api/v1/metrics: what requireRead takes, and also a read key as
 * `Authorization: Bearer <key>`, the one header a Prometheus scrape
 * config's `authorization` block sends. Told apart by format: a key starts
 * with `ps_` (api-key.ts), an access token is a JWT, whose encoded header
 * always starts with `eyJ`. A bearer key is checked exactly as an
 * `X-API-Key` is (forged: 401 at the edge; ingest-only: 403).
 */
export const requireScrape: MiddlewareHandler<AppEnv> = async (c, next) => {
	const token = bearerToken(c);
	if (token === null || !isApiKeyShaped(token)) return requireRead(c, next);
	c.set("principal", await keyPrincipal(c.env, token, "read"));
	await next();
};

/** Management routes: a user access token whose role is at least `least`. */
export function requireUser(least: Role = "viewer"): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const token = bearerToken(c);
		if (!token) throw unauthorized("This route needs a user access token (Authorization: Bearer).");
		const principal = await userPrincipal(c.env, token);
		if (!hasRole(principal.role, least)) {
			throw forbidden(`This action needs the ${least} role${least === "owner" ? "" : " or higher"}.`);
		}
		c.set("principal", principal);
		c.set("user", principal);
		await next();
	};
}
