import { newId, randomBytes, sha256Hex, toBase64Url } from "./crypto";

/**
 * API keys are `ps_<tenant id>_<secret>`: the tenant part routes a request to
 * its tenant's object without any lookup, and the object checks the SHA-256
 * of the whole key against the keys it holds. The secret is 256 random bits,
 * so a fast hash is enough (a slow KDF protects low-entropy passwords only).
 */
const KEY_FORMAT = /^ps_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export type ParsedKey = { tenantId: string; key: string };

/** Returns the tenant a well-formed key routes to, or null for anything else. */
export function parseApiKey(header: string | null | undefined): ParsedKey | null {
	if (!header) return null;
	const match = KEY_FORMAT.exec(header);
	return match ? { tenantId: match[1]!, key: header } : null;
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

export const hashApiKey = sha256Hex;
