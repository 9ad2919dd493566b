import type { MiddlewareHandler } from "hono";
import { operatorToken } from "./config";
import { timingSafeEqual } from "./crypto";
import { unauthorized } from "./errors";
import type { AppEnv } from "./types";

const encoder = new TextEncoder();
const digest = async (s: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));

/**
 * The operator API's only credential: `Authorization: Bearer <OPERATOR_TOKEN>`.
 * It is a separate gate from the tenants' (src/lib/auth.ts): the operator
 * token is not a JWT and not an API key, so every tenant route refuses it
 * with a 401, and nothing a tenant holds (access token, API key) can match
 * it here. Both sides are hashed before a constant-time comparison, so
 * neither the token's length nor a matching prefix shows in the timing.
 */
export const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
	// First, so an unconfigured deployment says so (500) instead of refusing every token.
	const expected = operatorToken(c.env);
	const header = c.req.header("authorization");
	const match = header ? /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header) : null;
	if (!match) throw unauthorized("The operator API needs `Authorization: Bearer <OPERATOR_TOKEN>`.");
	const [given, wanted] = await Promise.all([digest(match[1]!), digest(expected)]);
	if (!timingSafeEqual(given, wanted)) throw unauthorized("The operator token is not valid.");
	await next();
};
