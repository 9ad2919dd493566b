import { env } from "cloudflare:workers";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { call, errorOf, ingest, postJson, registerTenant } from "../../helpers";

const URL = "/api/v1/auth/register/tenant";
const valid = () => ({
	name: "Acme",
	slug: `acme-${crypto.randomUUID().slice(0, 8)}`,
	email: "Owner@Acme.test",
	password: "correct horse battery",
	full_name: "Olive Owner",
});

describe("POST /auth/register/tenant", () => {
	it("creates tenant, owner, first API key and a token pair", async () => {
		const input = valid();
		const res = await postJson(URL, input);
		expect(res.status).toBe(201);
		const body = await res.json<Record<string, any>>();
		expect(body.tenant).toMatchObject({ name: "Acme", slug: input.slug, rate_limit_per_minute: 10000, retention_days: 30 });
		expect(body.user).toMatchObject({ email: "owner@acme.test", full_name: "Olive Owner", role: "owner", is_active: true });
		expect(JSON.stringify(body.user)).not.toMatch(/hash|password/i);
		expect(body.api_key).toMatchObject({ name: expect.any(String), prefix: expect.any(String), key: expect.stringMatching(/^ps_/) });
		expect(body.api_key.key.startsWith(body.api_key.prefix)).toBe(true);
		expect(body).toMatchObject({ token_type: "bearer", expires_in: 1800 });

		const secret = new TextEncoder().encode(env.JWT_SECRET);
		const access = await jwtVerify(body.access_token, secret, { algorithms: ["HS256"] });
		expect(access.payload).toMatchObject({ sub: body.user.id, tid: body.tenant.id, role: "owner", typ: "access" });
		expect(access.payload.exp! - access.payload.iat!).toBe(1800);
		const refresh = await jwtVerify(body.refresh_token, secret, { algorithms: ["HS256"] });
		expect(refresh.payload.exp! - refresh.payload.iat!).toBe(7 * 24 * 3600);

		// The key works at once, and neither it nor the password is stored in clear.
		expect((await ingest(body as never, { event_type: "custom" })).status).toBe(202);
		const key = await env.DB.prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(body.tenant.id).first<Record<string, string>>();
		expect(JSON.stringify(key)).not.toContain(body.api_key.key);
		expect(key!.key_hash).toMatch(/^[0-9a-f]{64}$/);
		const user = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(body.user.id).first<{ password_hash: string }>();
		expect(user!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
		expect(user!.password_hash).not.toContain(input.password);
	});

	it("salts each password: the same password hashes differently", async () => {
		const [x, y] = await Promise.all([registerTenant({ password: "same password!" }), registerTenant({ password: "same password!" })]);
		const { results } = await env.DB.prepare("SELECT password_hash FROM users WHERE id IN (?, ?)").bind(x.user.id, y.user.id).all<{ password_hash: string }>();
		expect(results[0]!.password_hash).not.toBe(results[1]!.password_hash);
	});

	it("409 CONFLICT when the slug is taken", async () => {
		const input = valid();
		expect((await postJson(URL, input)).status).toBe(201);
		const res = await postJson(URL, { ...input, email: "other@acme.test" });
		expect(res.status).toBe(409);
		expect((await errorOf(res)).code).toBe("CONFLICT");
	});

	it("422 names each bad field", async () => {
		const res = await postJson(URL, { name: "", slug: "-Bad_Slug", email: "not-an-email", password: "short" });
		expect(res.status).toBe(422);
		const error = await errorOf(res);
		expect(error.code).toBe("VALIDATION_ERROR");
		expect(error.details!.map((d) => d.path).sort()).toEqual(["email", "name", "password", "slug"]);
		const long = await postJson(URL, { ...valid(), password: "x".repeat(129) });
		expect((await errorOf(long)).details).toEqual([{ path: "password", message: expect.any(String) }]);
		const missing = await postJson(URL, {});
		expect(missing.status).toBe(422);
	});

	it("400 for malformed JSON, 415 for another content type, 413 over 1 MiB", async () => {
		const bad = await postJson(URL, "{not json");
		expect(bad.status).toBe(400);
		expect((await errorOf(bad)).code).toBe("INVALID_JSON");
		const form = await call(URL, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "name=x" });
		expect(form.status).toBe(415);
		expect((await errorOf(form)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
		const huge = await postJson(URL, { ...valid(), name: "x".repeat(1024 * 1024) });
		expect(huge.status).toBe(413);
	});
});
