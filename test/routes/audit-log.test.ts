import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PASSWORD, addUser, bearer, call, errorOf, login, patchTenant, postJson, registerTenant, send } from "../helpers";

type Entry = {
	id: string;
	at: string;
	action: string;
	actor: { type: string; id: string | null; email: string | null };
	target: { type: string; id: string } | null;
	details: Record<string, unknown> | null;
	request_id: string | null;
};
type Page = { entries: Entry[]; next_cursor: string | null };

const auditLog = async (token: string, query = "") => {
	const res = await call(`/api/v1/audit-log${query}`, { headers: bearer(token) });
	expect(res.status).toBe(200);
	return res.json<Page>();
};

describe("GET /audit-log", () => {
	it("records sign-ins, password, user, role, key and setting changes, newest first", async () => {
		const t = await registerTenant();
		await login(t, t.user.email, "wrong password");
		await login(t, "nobody@example.com", "wrong password");
		await login(t, t.user.email);
		const viewer = await addUser(t, "viewer");
		await send("PATCH", `/api/v1/auth/users/${viewer.id}`, t.access_token, { role: "admin" });
		await send("DELETE", `/api/v1/auth/users/${viewer.id}`, t.access_token);
		const key = await (await send("POST", "/api/v1/api-keys", t.access_token, { name: "k2" })).json<{ id: string }>();
		await send("DELETE", `/api/v1/api-keys/${key.id}`, t.access_token);
		await send("DELETE", `/api/v1/api-keys/${key.id}`, t.access_token);
		await patchTenant(t, { rate_limit_per_minute: 777 });
		await postJson("/api/v1/auth/change-password", { current_password: PASSWORD, new_password: "another good one" }, bearer(t.access_token));

		const { entries } = await auditLog(t.access_token, "?limit=500");
		const actions = entries.map((e) => e.action);
		expect(actions).toEqual([
			"auth.password.changed",
			"tenant.updated",
			"api_key.revoked",
			"api_key.created",
			"user.deactivated",
			"user.updated",
			"auth.login.succeeded", // the viewer's sign-in by addUser
			"user.created",
			"auth.login.succeeded",
			"auth.login.failed",
			"auth.login.failed",
		]);

		const byAction = (a: string) => entries.filter((e) => e.action === a);
		expect(byAction("auth.login.failed").map((e) => e.details)).toEqual([
			// Each the one entry of its run of failures (see audit-sign-in-failures.test.ts).
			{ email: "nobody@example.com", reason: "unknown_email", count: 1, last_at: expect.any(String) },
			{ email: t.user.email, reason: "wrong_password", count: 1, last_at: expect.any(String) },
		]);
		expect(byAction("user.updated")[0]).toMatchObject({
			actor: { type: "user", id: t.user.id, email: t.user.email },
			target: { type: "user", id: viewer.id },
			details: { before: { role: "viewer" }, after: { role: "admin" } },
			request_id: expect.any(String),
		});
		expect(byAction("tenant.updated")[0]!.details).toEqual({
			before: { rate_limit_per_minute: 10_000 },
			after: { rate_limit_per_minute: 777 },
		});
		// Revoked twice, recorded once; nothing secret is recorded.
		expect(byAction("api_key.revoked")).toHaveLength(1);
		expect(JSON.stringify(entries)).not.toMatch(/ps_[0-9a-f]{4}_[0-9a-f]{32}_[A-Za-z0-9_-]{43}_|pbkdf2|another good one|wrong password/);
	});

	it("orders entries of the same millisecond by when they were written, across pages", async () => {
		const t = await registerTenant();
		const at = Date.now() + 60_000;
		await env.DB.batch(
			Array.from({ length: 5 }, (_, i) =>
				env.DB.prepare("INSERT INTO audit_log (id, tenant_id, at, actor_type, action, details) VALUES (?, ?, ?, 'system', 'tenant.updated', ?)").bind(
					// Ids sort opposite to insertion: the order must not come from them.
					`${9 - i}`.repeat(32),
					t.tenant.id,
					at,
					JSON.stringify({ n: i }),
				),
			),
		);
		const first = await auditLog(t.access_token, "?limit=3");
		const second = await auditLog(t.access_token, `?limit=3&cursor=${encodeURIComponent(first.next_cursor!)}`);
		expect([...first.entries, ...second.entries].slice(0, 5).map((e) => e.details)).toEqual([4, 3, 2, 1, 0].map((n) => ({ n })));
	});

	it("pages newest first with a cursor, without repeats or gaps, and filters by action", async () => {
		const t = await registerTenant();
		for (let i = 0; i < 7; i++) await patchTenant(t, { name: `Name ${i}` });
		const seen: Entry[] = [];
		let cursor: string | null = null;
		do {
			const page: Page = await auditLog(t.access_token, `?action=tenant.updated&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
			expect(page.entries.length).toBeLessThanOrEqual(3);
			seen.push(...page.entries);
			cursor = page.next_cursor;
		} while (cursor);
		expect(seen.map((e) => (e.details as { after: { name: string } }).after.name)).toEqual(
			[6, 5, 4, 3, 2, 1, 0].map((i) => `Name ${i}`),
		);
		expect(new Set(seen.map((e) => e.id)).size).toBe(7);
		// A prefix ending in "." matches a family of actions; `_` is not a wildcard.
		await send("POST", "/api/v1/api-keys", t.access_token, { name: "k" });
		expect((await auditLog(t.access_token, "?action=api_key.")).entries.map((e) => e.action)).toEqual(["api_key.created"]);
		// An action differing from the prefix only where it has `_` must not match (LIKE would).
		await env.DB.prepare("INSERT INTO audit_log (id, tenant_id, at, actor_type, action) VALUES (?, ?, ?, 'system', 'apiXkey.created')")
			.bind(crypto.randomUUID().replaceAll("-", ""), t.tenant.id, Date.now())
			.run();
		expect((await auditLog(t.access_token, "?action=api_key.")).entries.map((e) => e.action)).toEqual(["api_key.created"]);
		expect((await auditLog(t.access_token, "?action=apiXkey.")).entries.map((e) => e.action)).toEqual(["apiXkey.created"]);
	});

	it("is for admins and owners of the tenant only; bad query values are 422", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const admin = await addUser(t, "admin");
		expect((await call("/api/v1/audit-log", { headers: bearer(viewer.access_token) })).status).toBe(403);
		expect((await auditLog(admin.access_token)).entries.length).toBeGreaterThan(0);
		const theirs = await auditLog(other.access_token);
		expect(theirs.entries.every((e) => e.actor.id !== t.user.id)).toBe(true);
		for (const q of ["?limit=0", "?limit=501", "?limit=abc", "?cursor=garbage"]) {
			const res = await call(`/api/v1/audit-log${q}`, { headers: bearer(t.access_token) });
			expect(res.status, q).toBe(422);
			expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
		}
	});
});
