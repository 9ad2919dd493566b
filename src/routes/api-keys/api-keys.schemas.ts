import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { DEFAULT_SCOPES, SCOPES, normalizeScopes, parseScopes } from "../../lib/scopes";
import { iso } from "../../lib/time";

const ScopesSchema = z.array(z.enum(SCOPES)).openapi({
	description:
		"What the key may do: `ingest` (send events), `read` (search, get, stats, dashboard REST). " +
		"An ingest-only key is publishable: it may be embedded in a web page or an app.",
	example: ["ingest"],
});

export const ApiKeySchema = z
	.object({
		id: z.string(),
		name: z.string(),
		prefix: z.string().openapi({ description: "The start of the key, to tell keys apart" }),
		scopes: ScopesSchema,
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
		scopes: ScopesSchema,
		key: z.string().openapi({ description: "The whole key: shown only in this response" }),
		created_at: z.string(),
	})
	.openapi("CreatedApiKey");

export const ApiKeyListSchema = z.object({ api_keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const CreateApiKeySchema = z
	.object({
		name: z.string().trim().min(1).max(100),
		// Optional, but never empty: a key that may do nothing is a mistake, not a default.
		scopes: z
			.array(z.enum(SCOPES))
			.min(1, "give at least one scope (ingest, read), or leave scopes out for both")
			.refine((s) => new Set(s).size === s.length, "a scope may appear only once")
			.optional()
			.transform((s) => normalizeScopes(s ?? DEFAULT_SCOPES))
			.openapi({ description: "Default both. Each of `ingest`, `read` at most once.", example: ["ingest"] }),
	})
	.openapi("CreateApiKey");


/** A key as lists show it: never the key or its hash. `lastUsed` may be fresher than D1's copy. */
export function presentApiKey(k: ApiKeyRow, lastUsed?: number): z.infer<typeof ApiKeySchema> {
	const last = Math.max(k.lastUsedAt ?? 0, lastUsed ?? 0) || null;
	return {
		id: k.id,
		name: k.name,
		prefix: k.prefix,
		// Read defensively: a damaged row shows (and grants) nothing.
		scopes: parseScopes(k.scopes),
		created_at: new Date(k.createdAt).toISOString(),
		last_used_at: iso(last),
		revoked_at: iso(k.revokedAt),
	};
}
