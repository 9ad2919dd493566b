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
