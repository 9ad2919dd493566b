import { ApiError } from "./errors";
import { log } from "./log";

const DEV_JWT_SECRET = "pulsestream-development-only-secret-do-not-deploy";

let cached: { raw: string; key: Uint8Array } | undefined;

/**
 * The JWT signing key. Outside ENVIRONMENT=development a missing or short
 * JWT_SECRET is a configuration error, reported clearly and never replaced
 * by a default.
 */
export function jwtKey(env: Env): Uint8Array {
	const raw = env.JWT_SECRET || (env.ENVIRONMENT === "development" ? DEV_JWT_SECRET : "");
	if (cached?.raw === raw) return cached.key;
	if (raw.length < 32) {
		log("error", "JWT_SECRET is not set (or shorter than 32 characters); set it with `wrangler secret put JWT_SECRET`");
		throw new ApiError({
			code: "INTERNAL",
			message: "The server is not configured: JWT_SECRET is missing.",
		});
	}
	cached = { raw, key: new TextEncoder().encode(raw) };
	return cached.key;
}

/**
 * The development operator token: `npm run dev` prints it (scripts/dev.mjs)
 * and `npm run bench` uses it (bench/run.mjs), so both copies must equal
 * this one; test/e2e/operator.test.ts fails when the printed one drifts.
 */
export const DEV_OPERATOR_TOKEN = "pulsestream-development-operator-token-do-not-deploy";

/**
 * The operator API's token. Outside ENVIRONMENT=development a missing or
 * short OPERATOR_TOKEN is a configuration error of the operator routes only
 * (the tenants' API keeps working), never replaced by a default.
 */
export function operatorToken(env: Env): string {
	const raw = env.OPERATOR_TOKEN || (env.ENVIRONMENT === "development" ? DEV_OPERATOR_TOKEN : "");
	if (raw.length < 32) {
		log("error", "OPERATOR_TOKEN is not set (or shorter than 32 characters); set it with `wrangler secret put OPERATOR_TOKEN`");
		throw new ApiError({
			code: "INTERNAL",
			message: "The server is not configured: OPERATOR_TOKEN is missing, so the operator API is unavailable.",
		});
	}
	return raw;
}
