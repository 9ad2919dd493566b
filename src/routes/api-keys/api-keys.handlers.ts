import { and, desc, eq, isNull } from "drizzle-orm";
import { auditEntry, auditIfChanged } from "../../audit/audit";
import { db } from "../../db/client";
import { apiKeys } from "../../db/schema";
import { generateApiKey } from "../../lib/api-key";
import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";
import type { AppRouteHandler } from "../../lib/types";
import type { createApiKey, listApiKeys, revokeApiKey } from "./api-keys.routes";
import { presentApiKey } from "./api-keys.schemas";

/**
 * D1 holds the keys; the tenant's object holds each key's latest use, which
 * it writes to D1 at most once a minute, so the list asks it for fresher
 * values. Should the object not answer, D1's copy is shown.
 */
export const listApiKeysHandler: AppRouteHandler<typeof listApiKeys> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const [rows, usage] = await Promise.all([
		db(c.env).select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).all(),
		tenantStub(c.env, tenantId)
			.keyUsage()
			.catch((err: unknown) => {
				log("warn", "tenant object did not report key use; showing D1's", { tenant_id: tenantId, error: String(err) });
				return {} as Record<string, number>;
			}),
	]);
	return c.json({ api_keys: rows.map((k) => presentApiKey(k, usage[k.id])) }, 200);
};

/**
 * Stores the hash in D1, then hands it to the tenant's object, which is what
 * ingestion asks. If the object cannot take it, the key is revoked again and
 * the caller is told to retry, so no one is given a key that does not work.
 */
export const createApiKeyHandler: AppRouteHandler<typeof createApiKey> = async (c) => {
	const user = c.get("user");
	const { name, scopes } = c.req.valid("json");
	const key = await generateApiKey(c.env, user.tenantId);
	const now = Date.now();
	const d = db(c.env);
	await d.batch([
		d.insert(apiKeys).values({ id: key.id, tenantId: user.tenantId, name, prefix: key.prefix, keyHash: key.hash, scopes, createdAt: now }),
		auditEntry(c, {
			tenantId: user.tenantId,
			action: "api_key.created",
			target: { type: "api_key", id: key.id },
			details: { name, prefix: key.prefix, scopes },
		}),
	]);
	try {
		await tenantStub(c.env, user.tenantId).addKey(user.tenantId, { id: key.id, hash: key.hash, revokedAt: null, scopes });
	} catch (err) {
		log("error", "new API key could not be handed to the tenant object; revoked it", {
			request_id: c.get("requestId"),
			tenant_id: user.tenantId,
			error: String(err),
		});
		await d.batch([
			d.update(apiKeys).set({ revokedAt: Date.now() }).where(eq(apiKeys.id, key.id)),
			auditEntry(c, {
				tenantId: user.tenantId,
				action: "api_key.revoked",
				target: { type: "api_key", id: key.id },
				details: { name, prefix: key.prefix, reason: "activation_failed" },
			}),
		]);
		throw new ApiError({ code: "INTERNAL", message: "The key could not be activated; please try again." });
	}
	return c.json(
		{ id: key.id, name, prefix: key.prefix, scopes, key: key.key, created_at: new Date(now).toISOString() },
		201,
	);
};

/**
 * Revokes in the tenant's object first (the copy ingestion checks, so the
 * very next request is refused), then records it in D1. A failure in
 * between answers 500 and the same DELETE completes it.
 */
export const revokeApiKeyHandler: AppRouteHandler<typeof revokeApiKey> = async (c) => {
	const user = c.get("user");
	const { id } = c.req.valid("param");
	const d = db(c.env);
	const key = await d
		.select()
		.from(apiKeys)
		.where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, user.tenantId)))
		.get();
	if (!key) throw new ApiError({ code: "NOT_FOUND", message: "No API key with that id." });
	await tenantStub(c.env, user.tenantId).revokeKey(user.tenantId, id);
	await d.batch([
		d
			.update(apiKeys)
			.set({ revokedAt: Date.now() })
			.where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))),
		// Recorded once, by whichever DELETE actually revoked it.
		auditIfChanged(c, {
			tenantId: user.tenantId,
			action: "api_key.revoked",
			target: { type: "api_key", id },
			details: { name: key.name, prefix: key.prefix },
		}),
	]);
	return c.body(null, 204);
};
