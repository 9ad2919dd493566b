import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { jwtKey } from "./config";
import { newId } from "./crypto";

export type Role = "viewer" | "admin" | "owner";
export const ROLES = ["viewer", "admin", "owner"] as const;

export const ACCESS_TTL_SECONDS = 30 * 60;
export const REFRESH_TTL_SECONDS = 7 * 24 * 60 * 60;
const ISSUER = "pulsestream";

export type AccessClaims = { sub: string; tid: string; role: Role; sid: string };
export type RefreshClaims = { sub: string; tid: string; fam: string; jti: string };

async function sign(env: Env, claims: Record<string, unknown>, ttl: number, jti: string) {
	return new SignJWT(claims)
		.setProtectedHeader({ alg: "HS256", typ: "JWT" })
		.setIssuer(ISSUER)
		.setIssuedAt()
		.setJti(jti)
		.setExpirationTime(`${ttl}s`)
		.sign(jwtKey(env));
}

export type TokenPair = {
	access_token: string;
	refresh_token: string;
	token_type: "bearer";
	expires_in: number;
};

/**
 * A fresh access/refresh pair. `family` is the session (sessions.id): rotated
 * refresh tokens share it, and access tokens carry it as `sid` so that
 * revoking the session ends them too. `refreshJti` must be what the session
 * row holds as its current refresh token.
 */
export async function issueTokens(
	env: Env,
	user: { id: string; tenantId: string; role: Role },
	family: string = newId(),
	refreshJti: string = newId(),
): Promise<TokenPair & { refresh_jti: string; family: string }> {
	const [access, refresh] = await Promise.all([
		sign(env, { sub: user.id, tid: user.tenantId, role: user.role, sid: family, typ: "access" }, ACCESS_TTL_SECONDS, newId()),
		sign(env, { sub: user.id, tid: user.tenantId, fam: family, typ: "refresh" }, REFRESH_TTL_SECONDS, refreshJti),
	]);
	return {
		access_token: access,
		refresh_token: refresh,
		token_type: "bearer",
		expires_in: ACCESS_TTL_SECONDS,
		refresh_jti: refreshJti,
		family,
	};
}

/**
 * Verifies a token of ours: HS256 only (an `alg: none` or RS256 token is
 * refused before any key is used), our issuer, not expired, the expected
 * `typ`. Returns null for anything else, so callers answer one 401.
 */
async function verify(env: Env, token: string, typ: "access" | "refresh") {
	try {
		const { payload } = await jwtVerify(token, jwtKey(env), { algorithms: ["HS256"], issuer: ISSUER });
		if (payload.typ !== typ || typeof payload.sub !== "string" || typeof payload.tid !== "string") return null;
		return payload;
	} catch (err) {
		if (err instanceof joseErrors.JOSEError) return null;
		throw err;
	}
}

export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims | null> {
	const p = await verify(env, token, "access");
	if (!p || typeof p.sid !== "string" || !ROLES.includes(p.role as Role)) return null;
	return { sub: p.sub!, tid: p.tid as string, role: p.role as Role, sid: p.sid };
}

export async function verifyRefreshToken(env: Env, token: string): Promise<RefreshClaims | null> {
	const p = await verify(env, token, "refresh");
	if (!p || typeof p.fam !== "string" || typeof p.jti !== "string") return null;
	return { sub: p.sub!, tid: p.tid as string, fam: p.fam, jti: p.jti };
}
