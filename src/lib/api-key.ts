import { newId, randomBytes, sha256Hex, toBase64Url } from "./crypto";
import { unauthorized } from "./errors";

/**
 * API keys are `ps_<tenant id>_<secret>`: the tenant part routes a request to
 * its tenant's object without any lookup, and the object checks the SHA-256
 * of the whole key against the keys it holds. The secret is 256 random bits,
 * so a fast hash is enough (a slow KDF protects low-entropy passwords only).
 */
const KEY_FORMAT = /^ps_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/**
 * The tenant an `X-API-Key` header routes to, and the hash its object checks.
 * A missing or malformed key (or a header holding several keys) is a 401
 * here, before any object is reached.
 */
export function readApiKey(header: string | null | undefined): { tenantId: string; keyHash: Promise<string> } {
	const match = header ? KEY_FORMAT.exec(header) : null;
	if (!match) throw unauthorized("A valid X-API-Key header is required.");
	return { tenantId: match[1]!, keyHash: sha256Hex(header!) };
}

export type NewApiKey = { id: string; key: string; prefix: string; hash: string };

export async function generateApiKey(tenantId: string): Promise<NewApiKey> {
	const key = `ps_${tenantId}_${toBase64Url(randomBytes(32))}`;
	return {
		id: newId(),
		key,
		// The tenant part and the first 6 secret characters: enough to tell keys apart.
		prefix: key.slice(0, 3 + 32 + 1 + 6),
		hash: await sha256Hex(key),
	};
}
