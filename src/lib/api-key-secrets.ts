import { ApiError } from "./errors";
import { log } from "./log";
import { toHex } from "./crypto";

/**
 * The Worker secrets that tag API keys (see api-key.ts). API_KEY_SECRET tags
 * every new key; API_KEY_SECRET_PREVIOUS, while set, is still accepted, so a
 * secret can be rotated without breaking the keys already issued at once.
 */
const DEV_API_KEY_SECRET = "pulsestream-development-only-api-key-secret-do-not-deploy";
const MIN_LENGTH = 32;

const encoder = new TextEncoder();

export type SigningKey = { kid: string; key: CryptoKey };

function misconfigured(name: string): ApiError {
	log("error", `${name} is not set (or shorter than ${MIN_LENGTH} characters); set it with \`wrangler secret put ${name}\``);
	return new ApiError({ code: "INTERNAL", message: `The server is not configured: ${name} is missing.` });
}

/**
 * The raw secrets, current first. Outside ENVIRONMENT=development a missing
 * or short API_KEY_SECRET is a configuration error, never replaced by a
 * default; a PREVIOUS that is set must be as strong as a current one.
 */
export function apiKeySecrets(env: Env): string[] {
	const current = env.API_KEY_SECRET || (env.ENVIRONMENT === "development" ? DEV_API_KEY_SECRET : "");
	if (current.length < MIN_LENGTH) throw misconfigured("API_KEY_SECRET");
	const previous = env.API_KEY_SECRET_PREVIOUS;
	if (!previous) return [current];
	if (previous.length < MIN_LENGTH) throw misconfigured("API_KEY_SECRET_PREVIOUS");
	return previous === current ? [current] : [current, previous];
}

// Imported once per isolate and secret: importKey and the key id's HMAC are
// not repeated per request. Only configured values ever enter (two in
// production); the bound keeps tests that vary the secret from growing it.
const imported = new Map<string, Promise<SigningKey>>();

function signingKey(secret: string): Promise<SigningKey> {
	let entry = imported.get(secret);
	if (!entry) {
		if (imported.size >= 8) imported.clear();
		entry = (async () => {
			const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
			// The key id names the secret inside every key it tagged (and in the stored prefix),
			// so the edge picks the right secret at once and an operator can see which keys still
			// use an old one. It is derived, so rotating needs no version variable of its own.
			const kid = toHex(await crypto.subtle.sign("HMAC", key, encoder.encode("pulsestream/api-key-id"))).slice(0, 4);
			return { kid, key };
		})();
		entry.catch(() => imported.delete(secret));
		imported.set(secret, entry);
	}
	return entry;
}

/** The signing keys, current first. Throws the configuration error when the secret is missing. */
export function signingKeys(env: Env): Promise<SigningKey[]> {
	return Promise.all(apiKeySecrets(env).map(signingKey));
}
