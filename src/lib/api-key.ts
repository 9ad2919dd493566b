import { type SigningKey, signingKeys } from "./api-key-secrets";
import { newId, randomBytes, sha256Hex, timingSafeEqual, toBase64Url } from "./crypto";
import { unauthorized } from "./errors";

/**
 * API keys are `ps_<key id>_<tenant id>_<secret>_<tag>`:
 *
 * - key id: 4 hex, names the Worker secret that tagged the key (api-key-secrets.ts);
 * - tenant id: 32 hex, routes the request to its tenant's object without any lookup;
 * - secret: 256 random bits (43 base64url), so a fast hash is enough for the
 *   object's check (a slow KDF protects low-entropy passwords only);
 * - tag: HMAC-SHA-256 of everything before it under the Worker secret,
 *   truncated to 128 bits (22 base64url).
 *
 * The tag is what lets the edge refuse a key this deployment never issued (a
 * made-up tenant part, a garbled or truncated key) before any object is woken
 * or D1 is asked. It covers the whole key, not only the tenant id: a tag over
 * the tenant alone would be the same in every key of a tenant, so anyone
 * holding one published ingest-only key could mint endless "valid-looking"
 * keys of that tenant. 128 bits is far past what online guessing can reach.
 * The tag is not the credential: the object still checks the SHA-256 of the
 * whole key, so a leaked Worker secret reopens only the cost of forged keys,
 * never access.
 */
const KEY_FORMAT = /^ps_([0-9a-f]{4})_([0-9a-f]{32})_[A-Za-z0-9_-]{43}_([A-Za-z0-9_-]{22})$/;
const TAG_BYTES = 16;

const encoder = new TextEncoder();

async function tagOf(key: CryptoKey, body: string): Promise<string> {
	const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
	return toBase64Url(new Uint8Array(mac, 0, TAG_BYTES));
}

/**
 * Compares the encoded tags (fixed length) in constant time. Comparing text,
 * not decoded bytes, keeps one spelling per tag (the last base64url character
 * carries unused bits).
 */
async function tagMatches(signing: SigningKey, body: string, tag: string): Promise<boolean> {
	return timingSafeEqual(encoder.encode(await tagOf(signing.key, body)), encoder.encode(tag));
}

/**
 * The tenant an `X-API-Key` header routes to, and the hash its object checks.
 * A missing or malformed key, a header holding several keys, and a key whose
 * tag none of our secrets made are 401 here, decided at the edge: no object
 * is reached and nothing is queried. The message for a forged key is the one
 * the object's "unknown or revoked" gives, so it tells a guesser nothing.
 */
export async function readApiKey(env: Env, header: string | null | undefined): Promise<{ tenantId: string; keyHash: string }> {
	const match = header ? KEY_FORMAT.exec(header) : null;
	if (!match) throw unauthorized("A valid X-API-Key header is required.");
	const [, kid, tenantId, tag] = match as unknown as [string, string, string, string];
	const body = header!.slice(0, -(tag.length + 1));
	// The hash the object checks is computed alongside the tag check, not after it.
	const keyHash = sha256Hex(header!);
	for (const signing of await signingKeys(env)) {
		// The key id is public (it is in every key): matching it first only skips a secret that cannot fit.
		if (signing.kid === kid && (await tagMatches(signing, body, tag))) {
			return { tenantId, keyHash: await keyHash };
		}
	}
	throw unauthorized("The API key is unknown or revoked.");
}

/** True for a credential that is meant as an API key (every key starts so; no JWT does), well-formed or not. */
export const isApiKeyShaped = (credential: string) => credential.startsWith("ps_");

export type NewApiKey = { id: string; key: string; prefix: string; hash: string };

/** A new key of `tenantId`, tagged with the current API_KEY_SECRET. The only place keys are made. */
export async function generateApiKey(env: Env, tenantId: string): Promise<NewApiKey> {
	const [current] = await signingKeys(env);
	const body = `ps_${current!.kid}_${tenantId}_${toBase64Url(randomBytes(32))}`;
	const key = `${body}_${await tagOf(current!.key, body)}`;
	return {
		id: newId(),
		key,
		// Key id, tenant and the first 6 secret characters: enough to tell keys apart, and to
		// find the keys an old secret tagged when rotating (`prefix LIKE 'ps_<old key id>_%'`).
		prefix: key.slice(0, "ps_".length + 4 + 1 + 32 + 1 + 6),
		hash: await sha256Hex(key),
	};
}
