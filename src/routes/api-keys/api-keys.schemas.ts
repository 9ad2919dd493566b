import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { iso } from "../../lib/time";

export const ApiKeySchema = z
	.object({
		id: z.string(),
		name: z.string(),
		prefix: z.string().openapi({ description: "The start of the key, to tell keys apart" }),
		created_at: z.string(),
		last_used_at: z.string().nullable(),
		revoked_at: z.string().nullable(),
	})
	.openapi("ApiKey");

export const CreatedApiKeySchema = z
	.object({
		id: z.string(),
		name: z.string(),
		prefix: z.string(),
		key: z.string().openapi({ description: "The whole key: shown only in this response" }),
		created_at: z.string(),
	})
	.openapi("CreatedApiKey");

export const ApiKeyListSchema = z.object({ api_keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const CreateApiKeySchema = z.object({ name: z.string().trim().min(1).max(100) }).openapi("CreateApiKey");


/** A key as lists show it: never the key or its hash. `lastUsed` may be fresher than D1's copy. */
export function presentApiKey(k: ApiKeyRow, lastUsed?: number): z.infer<typeof ApiKeySchema> {
	const last = Math.max(k.lastUsedAt ?? 0, lastUsed ?? 0) || null;
	return {
		id: k.id,
		name: k.name,
		prefix: k.prefix,
		created_at: new Date(k.createdAt).toISOString(),
		last_used_at: iso(last),
		revoked_at: iso(k.revokedAt),
	};
}
