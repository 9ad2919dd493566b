import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PASSWORD, bearer, call, errorOf, login, postJson, registerTenant, send, type Registered } from "../helpers";

// Failed sign-ins for one tenant and email within one lockout window are one
// audit entry whose details.count grows; audit details hold no session ids.

afterEach(() => {
	vi.useRealTimers();
});

type Row = { id: string; at: number; actor_email: string | null; target_id: string | null; details: string | null };

const failures = async (t: Registered, email: string) =>
	(
		await env.DB.prepare("SELECT id, at, actor_email, target_id, details FROM audit_log WHERE tenant_id = ? AND action = 'auth.login.failed' AND actor_email = ? ORDER BY at, rowid")
			.bind(t.tenant.id, email)
			.all<Row>()
	).results.map((r) => ({ ...r, details: JSON.parse(r.details!) as { email: string; reason: string; count: number; last_at: string } }));

describe("audit of failed sign-ins", () => {
	it("60 wrong sign-ins in one lockout window are one entry with count 60, shown as such by GET /audit-log", async () => {
		const t = await registerTenant();
		const statuses: number[] = [];
		for (let i = 0; i < 60; i++) statuses.push((await login(t, t.user.email, "wrong password")).status);
		expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
		expect(new Set(statuses.slice(5))).toEqual(new Set([429]));

		const rows = await failures(t, t.user.email);
		expect(rows).toHaveLength(1);
		expect(rows[0]!.details).toEqual({ email: t.user.email, reason: "wrong_password", count: 60, last_at: expect.any(String) });
		expect(rows[0]!.target_id).toBe(t.user.id);
		expect(Date.parse(rows[0]!.details.last_at)).toBeGreaterThanOrEqual(rows[0]!.at);

		const res = await call("/api/v1/audit-log?action=auth.login.failed", { headers: bearer(t.access_token) });
		expect(res.status).toBe(200);
		const { entries } = await res.json<{ entries: { action: string; details: Record<string, unknown> }[] }>();
		expect(entries).toHaveLength(1);
		expect(entries[0]!.details).toMatchObject({ email: t.user.email, reason: "wrong_password", count: 60 });
	});

	it("concurrent failures of one run still make one entry, counting all of them", async () => {
		const t = await registerTenant();
		const email = "nobody@example.com";
		const res = await Promise.all(Array.from({ length: 20 }, () => login(t, email, "wrong password")));
		expect(res.every((r) => r.status === 401 || r.status === 429)).toBe(true);
		const rows = await failures(t, email);
		expect(rows).toHaveLength(1);
		expect(rows[0]!.details).toMatchObject({ email, reason: "unknown_email", count: 20 });
	});

	it("a new run (after the lock expires, or after a success) starts a new entry", async () => {
		const t = await registerTenant();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		for (let i = 0; i < 7; i++) await login(t, t.user.email, "wrong password");
		vi.setSystemTime(start + 15 * 60_000 + 1_000);
		expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		expect((await failures(t, t.user.email)).map((r) => r.details.count)).toEqual([7, 1]);

		expect((await login(t, t.user.email)).status).toBe(200);
		expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		expect((await failures(t, t.user.email)).map((r) => r.details.count)).toEqual([7, 1, 2]);
	});

	it("other emails of the tenant, and other tenants, get entries of their own", async () => {
		const t = await registerTenant();
		const other = await registerTenant({ email: t.user.email });
		await login(t, t.user.email, "wrong password");
		await login(t, "someone@example.com", "wrong password");
		await login(other, t.user.email, "wrong password");
		expect((await failures(t, t.user.email)).map((r) => r.details.count)).toEqual([1]);
		expect((await failures(t, "someone@example.com")).map((r) => r.details.count)).toEqual([1]);
		expect((await failures(other, t.user.email)).map((r) => r.details.count)).toEqual([1]);
	});
});

describe("audit details", () => {
	it("hold no session id: sign-in, refresh reuse and logout are recorded without one", async () => {
		const t = await registerTenant();
		const signedIn = await (await login(t, t.user.email, PASSWORD)).json<{ access_token: string; refresh_token: string }>();
		const rotated = await postJson("/api/v1/auth/refresh", { refresh_token: signedIn.refresh_token });
		expect(rotated.status).toBe(200);
		const reused = await postJson("/api/v1/auth/refresh", { refresh_token: signedIn.refresh_token });
		expect((await errorOf(reused)).code).toBe("UNAUTHORIZED");
		expect((await send("POST", "/api/v1/auth/logout", t.access_token)).status).toBe(204);

		const sessionIds = [t.access_token, signedIn.access_token].map((token) => decodeJwt(token).sid as string);
		expect(sessionIds.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
		const { results } = await env.DB.prepare("SELECT action, details FROM audit_log WHERE tenant_id = ?").bind(t.tenant.id).all<{ action: string; details: string | null }>();
		expect(results.map((r) => r.action)).toEqual(expect.arrayContaining(["auth.login.succeeded", "auth.refresh_reuse_detected", "auth.logout"]));
		const all = JSON.stringify(results);
		expect(all).not.toMatch(/session/i);
		for (const id of sessionIds) expect(all).not.toContain(id);
	});
});
