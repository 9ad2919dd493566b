import { eq } from "drizzle-orm";
import { limitClient } from "../../auth/anonymous-limits";
import { db, isUniqueViolation } from "../../db/client";
import { apiKeys, sessions, tenants, users } from "../../db/schema";
import { newSession, sessionTokens } from "../../auth/sessions";
import { generateApiKey } from "../../lib/api-key";
import { tenantStub } from "../../lib/auth";
import { hashPassword, newId } from "../../lib/crypto";
import { DEFAULT_SCOPES } from "../../lib/scopes";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";
import type { AppRouteHandler } from "../../lib/types";
import { settingsOf } from "../../tenant/settings";
import { presentTenant } from "../tenant/tenant.schemas";
import type { registerTenant } from "./register.routes";
import { presentUser } from "./auth.schemas";

const slugTaken = () => new ApiError({ code: "CONFLICT", message: "That tenant slug is already taken." });

/**
 * Creates tenant, owner and first key in one D1 batch (one transaction), then
 * hands the tenant's object its settings and key hash so ingestion never asks
 * D1. Should that hand-over fail, the object loads both from D1 on first use.
 * The client's address is counted first (10 registrations an hour), before
 * the slug lookup, PBKDF2 and the writes; a taken slug counts too, so the
 * route cannot be used to probe which slugs exist without limit.
 */
export const registerTenantHandler: AppRouteHandler<typeof registerTenant> = async (c) => {
	const body = c.req.valid("json");
	const now = Date.now();
	await limitClient(c, "register", now);
	const d = db(c.env);
	if (await d.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, body.slug)).get()) {
		throw slugTaken();
	}
	const tenantId = newId();
	const [key, passwordHash] = await Promise.all([generateApiKey(c.env, tenantId), hashPassword(body.password)]);
	const tenant = { id: tenantId, name: body.name, slug: body.slug, createdAt: now };
	const user = {
		id: newId(),
		tenantId,
		email: body.email,
		fullName: body.full_name ?? null,
		role: "owner" as const,
		passwordHash,
		createdAt: now,
	};
	const keyName = "Default key";
	const session = newSession({ id: user.id, tenantId, role: "owner" }, now, c.req.header("user-agent"));
	let rows;
	try {
		rows = await d.batch([
			d.insert(tenants).values(tenant).returning(),
			d.insert(users).values(user).returning(),
			d.insert(apiKeys).values({ id: key.id, tenantId, name: keyName, prefix: key.prefix, keyHash: key.hash, scopes: DEFAULT_SCOPES, createdAt: now }),
			d.insert(sessions).values(session),
		]);
	} catch (err) {
		if (isUniqueViolation(err, "tenants.slug")) throw slugTaken();
		throw err;
	}
	const [[tenantRow], [userRow]] = rows;
	try {
		await tenantStub(c.env, tenantId).configure(
			settingsOf(tenantRow!),
			[{ id: key.id, hash: key.hash, revokedAt: null, scopes: DEFAULT_SCOPES }],
		);
	} catch (err) {
		// D1 has committed: answering 500 would lose the only copy of the key.
		// The object loads the tenant from D1 on its first request instead.
		log("error", "tenant object hand-over failed after registration", {
			request_id: c.get("requestId"),
			tenant_id: tenantId,
			error: String(err),
		});
	}
	const tokens = await sessionTokens(c.env, { id: user.id, tenantId, role: "owner" }, session);
	return c.json(
		{
			tenant: presentTenant(tenantRow!),
			user: presentUser(userRow!),
			api_key: { id: key.id, name: keyName, prefix: key.prefix, scopes: DEFAULT_SCOPES, key: key.key },
			access_token: tokens.access_token,
			refresh_token: tokens.refresh_token,
			token_type: tokens.token_type,
			expires_in: tokens.expires_in,
		},
		201,
	);
};
