import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { jwtKey } from "./config";
import { newId } from "./crypto";

export type Role = "viewer" | "admin" | "owner";
export const ROLES = ["viewer", "admin", "owner"] as const;

export const ACCESS_TTL_SECONDS = 30 * 60;
export const REFRESH_TTL_SECONDS = 7 * 24 * 60 * 60;
const ISSUER = "pulsestream";

export type AccessClaims = { sub: string; tid: string; role: Role; typ: "access" };

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

/** A fresh access/refresh pair; `family` ties rotated refresh tokens together. */
export async function issueTokens(
	env: Env,
	user: { id: string; tenantId: string; role: Role },
	family: string = newId(),
): Promise<TokenPair & { refresh_jti: string; family: string }> {
	const refreshJti = newId();
	const [access, refresh] = await Promise.all([
		sign(env, { sub: user.id, tid: user.tenantId, role: user.role, typ: "access" }, ACCESS_TTL_SECONDS, newId()),
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
 * Verifies an access token: HS256 only (an `alg: none` or RS256 token is
 * refused before any key is used), our issuer, not expired, typ "access".
 * Returns null for anything that is not a valid access token.
 */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims | null> {
	try {
		const { payload } = await jwtVerify(token, jwtKey(env), {
			algorithms: ["HS256"],
			issuer: ISSUER,
		});
		if (
			payload.typ !== "access" ||
			typeof payload.sub !== "string" ||
			typeof payload.tid !== "string" ||
			!ROLES.includes(payload.role as Role)
		) {
			return null;
		}
		return { sub: payload.sub, tid: payload.tid, role: payload.role as Role, typ: "access" };
	} catch (err) {
		if (err instanceof joseErrors.JOSEError) return null;
		throw err;
	}
}
