import type { Context, MiddlewareHandler } from "hono";
import { readApiKey } from "./api-key";
import { ApiError, unauthorized } from "./errors";
import { type Role, verifyAccessToken } from "./jwt";
import type { AppEnv, Principal } from "./types";

/** The tenant's object, the serialization point for everything per-tenant. */
export function tenantStub(env: Env, tenantId: string) {
	return env.TENANT.getByName(tenantId);
}

function bearerToken(c: Context<AppEnv>): string | null {
	const header = c.req.header("authorization");
	if (!header) return null;
	const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header);
	if (!match) throw unauthorized("The Authorization header must be `Bearer <access_token>`.");
	return match[1]!;
}

async function userPrincipal(c: Context<AppEnv>, token: string): Promise<Principal> {
	const claims = await verifyAccessToken(c.env, token);
	if (!claims) throw unauthorized("The access token is invalid or expired.");
	return { kind: "user", tenantId: claims.tid, userId: claims.sub, role: claims.role };
}

/**
 * Authenticates an `X-API-Key` with the tenant's object (no D1). A malformed
 * key, or a header holding several keys, never reaches an object.
 */
export async function keyPrincipal(env: Env, header: string | undefined): Promise<Principal> {
	const { tenantId, keyHash } = readApiKey(header);
	const ok = await tenantStub(env, tenantId).authenticate(tenantId, await keyHash);
	if (!ok) throw unauthorized("The API key is unknown or revoked.");
	return { kind: "key", tenantId };
}

/** Read routes: an API key or a user access token of the tenant. */
export const requireRead: MiddlewareHandler<AppEnv> = async (c, next) => {
	const token = bearerToken(c);
	const key = c.req.header("x-api-key");
	if (token) c.set("principal", await userPrincipal(c, token));
	else if (key !== undefined) c.set("principal", await keyPrincipal(c.env, key));
	else throw unauthorized();
	await next();
};

/** Management routes: a user access token, optionally of one of `roles`. */
export function requireUser(...roles: Role[]): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const token = bearerToken(c);
		if (!token) throw unauthorized("This route needs a user access token (Authorization: Bearer).");
		const principal = await userPrincipal(c, token);
		if (roles.length > 0 && principal.kind === "user" && !roles.includes(principal.role)) {
			throw new ApiError({ code: "FORBIDDEN", message: `This action needs one of the roles: ${roles.join(", ")}.` });
		}
		c.set("principal", principal);
		await next();
	};
}
