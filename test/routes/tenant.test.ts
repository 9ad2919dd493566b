import { env } from "cloudflare:workers";
import { SignJWT, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { addUser, bearer, call, errorOf, keyHeader, patchTenant, registerTenant } from "../helpers";

const patch = (token: string, body: unknown) =>
	call("/api/v1/tenant", {
		method: "PATCH",
		headers: { "Content-Type": "application/json", ...bearer(token) },
		body: JSON.stringify(body),
	});

describe("GET/PATCH /tenant", () => {
	it("reads the caller's own tenant", async () => {
		const t = await registerTenant();
		const res = await call("/api/v1/tenant", { headers: bearer(t.access_token) });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			id: t.tenant.id,
			name: "Test tenant",
			slug: t.tenant.slug,
			rate_limit_per_minute: 10000,
			retention_days: 30,
			created_at: expect.any(String),
		});
	});

	it("owner and admin change name, rate limit and retention; unknown fields are ignored", async () => {
		const t = await registerTenant();
		const res = await patchTenant(t, { name: "Renamed", rate_limit_per_minute: 1234, retention_days: 7, slug: "ignored" });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ name: "Renamed", rate_limit_per_minute: 1234, retention_days: 7, slug: t.tenant.slug });
		const admin = await addUser(t, "admin");
		expect((await patch(admin.access_token, { retention_days: 90 })).status).toBe(200);
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(t) })).json();
		expect(stats).toMatchObject({ rate_limit_per_minute: 1234 });
	});

	it("a viewer reads but may not change (403); an API key or no credential is 401", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		expect((await call("/api/v1/tenant", { headers: bearer(viewer.access_token) })).status).toBe(200);
		const res = await patch(viewer.access_token, { name: "nope" });
		expect(res.status).toBe(403);
		expect((await errorOf(res)).code).toBe("FORBIDDEN");
		const withKey = await call("/api/v1/tenant", { method: "PATCH", headers: { "Content-Type": "application/json", ...keyHeader(t) }, body: "{}" });
		expect(withKey.status).toBe(401);
		expect((await call("/api/v1/tenant")).status).toBe(401);
	});

	it("422 for out-of-range values, 400 for malformed JSON", async () => {
		const t = await registerTenant();
		for (const body of [{ rate_limit_per_minute: 0 }, { rate_limit_per_minute: "100" }, { retention_days: 1.5 }, { name: "" }]) {
			const res = await patchTenant(t, body);
			expect(res.status, JSON.stringify(body)).toBe(422);
			expect((await errorOf(res)).details![0]!.path).toBe(Object.keys(body)[0]);
		}
		const bad = await call("/api/v1/tenant", { method: "PATCH", headers: { "Content-Type": "application/json", ...bearer(t.access_token) }, body: "{" });
		expect(bad.status).toBe(400);
	});

	it("refuses tokens that are not ours: wrong signature, alg none, expired, refresh token, garbage", async () => {
		const t = await registerTenant();
		const key = new TextEncoder().encode(env.JWT_SECRET);
		const { payload } = await jwtVerify(t.access_token, key);
		// Everything right but the signature, the algorithm or the expiry.
		const claims = { sub: t.user.id, tid: t.tenant.id, role: "owner", typ: "access", sid: payload.sid };
		const wrongKey = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("pulsestream").setExpirationTime("5m").sign(new TextEncoder().encode("x".repeat(40)));
		const expired = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("pulsestream").setIssuedAt(1_000).setExpirationTime(2_000).sign(key);
		const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
		const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, iss: "pulsestream", exp: 9_999_999_999 })}.`;
		for (const token of [wrongKey, expired, none, t.refresh_token, "garbage", t.access_token.slice(0, -10)]) {
			const res = await call("/api/v1/tenant", { headers: bearer(token) });
			expect(res.status).toBe(401);
			expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
		}
	});
});
