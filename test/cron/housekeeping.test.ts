import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RETENTION_CRON } from "../../src/cron";
import { login, postJson, registerTenant, runCron } from "../helpers";

const DAY = 24 * 3600 * 1000;
const count = async (sql: string, ...args: unknown[]) =>
	(await env.DB.prepare(`SELECT count(*) AS n FROM ${sql}`).bind(...args).first<{ n: number }>())!.n;

describe("account housekeeping (hourly cron)", () => {
	it("prunes spent sessions, reset tokens, stale lockouts and year-old audit entries; keeps live ones", async () => {
		const t = await registerTenant();
		const now = Date.now();
		// Live state: the registration session, a fresh lockout run, a fresh audit entry.
		await login(t, "ghost@example.com", "wrong password");
		await postJson("/api/v1/auth/logout", {}, { Authorization: `Bearer ${(await (await login(t, t.user.email)).json<{ access_token: string }>()).access_token}` });
		const session = (id: string, createdAt: number, expiresAt: number) =>
			env.DB.prepare("INSERT INTO sessions (id, tenant_id, user_id, refresh_jti, created_at, expires_at) VALUES (?, ?, ?, 'j', ?, ?)").bind(
				id,
				t.tenant.id,
				t.user.id,
				createdAt,
				expiresAt,
			);
		const reset = (hash: string, createdAt: number, expiresAt: number, usedAt: number | null) =>
			env.DB.prepare(
				"INSERT INTO password_resets (token_hash, tenant_id, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)",
			).bind(hash, t.tenant.id, t.user.id, createdAt, expiresAt, usedAt);
		// Spent state, made old by hand.
		await env.DB.batch([
			env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NOT NULL").bind(now - 8 * DAY, t.tenant.id),
			reset(`old-${t.tenant.id}`, now - 3 * DAY, now - 2 * DAY, null),
			// Expired a while ago, and one past the 30-day absolute lifetime though "unexpired".
			session(`expired-${t.tenant.id}`, now - 10 * DAY, now - 2 * DAY),
			session(`ancient-${t.tenant.id}`, now - 40 * DAY, now + DAY),
			// Used two days ago, though its hour would not be over by the clock of this row.
			reset(`used-${t.tenant.id}`, now - 2 * DAY, now + 60 * 60_000, now - 2 * DAY),
			env.DB.prepare("INSERT INTO login_attempts (key, failures, locked_until, updated_at) VALUES (?, 5, ?, ?)").bind(
				`${t.tenant.slug}\nold@example.com`,
				now - 60 * 60_000,
				now - 75 * 60_000,
			),
			env.DB.prepare(
				"INSERT INTO audit_log (id, tenant_id, at, actor_type, action) VALUES (?, ?, ?, 'system', 'tenant.updated')",
			).bind(`old-${t.tenant.id}`, t.tenant.id, now - 400 * DAY),
		]);
		expect(await count("sessions WHERE tenant_id = ?", t.tenant.id)).toBe(4);

		await runCron(RETENTION_CRON, now);

		expect(await count("sessions WHERE tenant_id = ?", t.tenant.id)).toBe(1);
		expect(await count("password_resets WHERE tenant_id = ?", t.tenant.id)).toBe(0);
		expect(await count("login_attempts WHERE key = ?", `${t.tenant.slug}\nold@example.com`)).toBe(0);
		expect(await count("login_attempts WHERE key = ?", `${t.tenant.slug}\nghost@example.com`)).toBe(1);
		expect(await count("audit_log WHERE id = ?", `old-${t.tenant.id}`)).toBe(0);
		expect(await count("audit_log WHERE tenant_id = ?", t.tenant.id)).toBeGreaterThan(0);
		// The live session still works.
		expect((await postJson("/api/v1/auth/refresh", { refresh_token: t.refresh_token })).status).toBe(200);
	});
});
