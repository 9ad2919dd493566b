import { env } from "cloudflare:workers";
import { SignJWT, jwtVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PASSWORD, addUser, bearer, call, errorOf, login, postJson, registerTenant } from "../../helpers";

const refresh = (token: string) => postJson("/api/v1/auth/refresh", { refresh_token: token });
const profile = (token: string) => call("/api/v1/auth/profile", { headers: bearer(token) });

afterEach(() => {
	vi.useRealTimers();
});

describe("POST /auth/login", () => {
	it("signs in with tenant slug, email and password: a token pair and the user, never a hash", async () => {
		const t = await registerTenant();
		const res = await login(t, t.user.email.toUpperCase());
		expect(res.status).toBe(200);
		const body = await res.json<Record<string, unknown>>();
		expect(body).toMatchObject({
			access_token: expect.any(String),
			refresh_token: expect.any(String),
			token_type: "bearer",
			expires_in: 1800,
			user: { id: t.user.id, email: t.user.email, role: "owner", is_active: true },
		});
		expect(JSON.stringify(body)).not.toMatch(/hash|pbkdf2/i);
		expect((await profile(body.access_token as string)).status).toBe(200);
	});

	it("answers every wrong credential with one 401 that does not say which part was wrong", async () => {
		const t = await registerTenant();
		const attempts = [
			{ tenant: t.tenant.slug, email: t.user.email, password: "wrong password" },
			{ tenant: t.tenant.slug, email: "nobody@example.com", password: PASSWORD },
			{ tenant: "no-such-tenant-anywhere", email: t.user.email, password: PASSWORD },
		];
		const messages = new Set<string>();
		for (const attempt of attempts) {
			const res = await postJson("/api/v1/auth/login", attempt);
			expect(res.status).toBe(401);
			const error = await errorOf(res);
			expect(error.code).toBe("UNAUTHORIZED");
			messages.add(error.message);
		}
		expect(messages.size).toBe(1);
	});

	it("spends one full PBKDF2 on every attempt, known account or not, so timing tells nothing", async () => {
		const t = await registerTenant();
		const spy = vi.spyOn(crypto.subtle, "deriveBits");
		try {
			for (const [tenant, email] of [
				[t.tenant.slug, t.user.email],
				[t.tenant.slug, "nobody@example.com"],
				["no-such-tenant-anywhere", "nobody@example.com"],
			] as const) {
				spy.mockClear();
				await postJson("/api/v1/auth/login", { tenant, email, password: "wrong password" });
				expect(spy, `${tenant} ${email}`).toHaveBeenCalledTimes(1);
				expect((spy.mock.calls[0]![0] as { iterations: number }).iterations).toBe(100_000);
			}
		} finally {
			spy.mockRestore();
		}
	});

	it("a deactivated user cannot sign in, with the same answer as a wrong password", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		await call(`/api/v1/auth/users/${viewer.id}`, { method: "DELETE", headers: bearer(t.access_token) });
		const res = await login(t, viewer.email);
		expect(res.status).toBe(401);
		expect((await errorOf(res)).message).toBe("The tenant, email or password is incorrect.");
	});

	it("refuses bad input with the contract's errors and no hint about accounts", async () => {
		const t = await registerTenant();
		const cases: [unknown, number, string][] = [
			[{ tenant: t.tenant.slug, email: "not-an-email", password: PASSWORD }, 422, "email"],
			[{ tenant: t.tenant.slug, email: t.user.email, password: "x".repeat(129) }, 422, "password"],
			[{ tenant: t.tenant.slug, email: t.user.email }, 422, "password"],
			[{ tenant: "Bad Slug!", email: t.user.email, password: PASSWORD }, 422, "tenant"],
			[[1, 2], 422, "(body)"],
		];
		for (const [body, status, path] of cases) {
			const res = await postJson("/api/v1/auth/login", body);
			expect(res.status, JSON.stringify(body)).toBe(status);
			expect((await errorOf(res)).details!.map((d) => d.path)).toContain(path);
		}
		expect((await postJson("/api/v1/auth/login", "{not json")).status).toBe(400);
		const huge = await postJson("/api/v1/auth/login", { tenant: t.tenant.slug, email: t.user.email, password: "x".repeat(2 * 1024 * 1024) });
		expect(huge.status).toBe(413);
		expect((await errorOf(huge)).code).toBe("PAYLOAD_TOO_LARGE");
		const text = await call("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" });
		expect(text.status).toBe(415);
		const emptyText = await call("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "" });
		expect(emptyText.status).toBe(415);
		expect((await errorOf(emptyText)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
		const nothing = await call("/api/v1/auth/login", { method: "POST" });
		expect(nothing.status).toBe(422);
		expect((await errorOf(nothing)).code).toBe("VALIDATION_ERROR");
	});
});

describe("lockout", () => {
	it("locks after 5 failures in a row for 15 minutes (429 ACCOUNT_LOCKED, Retry-After), then lets the right password in", async () => {
		const t = await registerTenant();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		for (let i = 0; i < 5; i++) expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		// Locked: even the right password is refused while the lock runs.
		const locked = await login(t, t.user.email, PASSWORD);
		expect(locked.status).toBe(429);
		expect((await errorOf(locked)).code).toBe("ACCOUNT_LOCKED");
		const retryAfter = Number(locked.headers.get("Retry-After"));
		expect(retryAfter).toBeGreaterThan(14 * 60);
		expect(retryAfter).toBeLessThanOrEqual(15 * 60);

		vi.setSystemTime(start + 14 * 60_000);
		expect((await login(t, t.user.email, PASSWORD)).status).toBe(429);
		vi.setSystemTime(start + 15 * 60_000 + 1_000);
		expect((await login(t, t.user.email, PASSWORD)).status).toBe(200);
	});

	it("holds under concurrency: of 12 guesses sent at once only five are checked", async () => {
		const t = await registerTenant();
		const spy = vi.spyOn(crypto.subtle, "deriveBits");
		try {
			const results = await Promise.all(Array.from({ length: 12 }, () => login(t, t.user.email, "wrong password")));
			const statuses = results.map((r) => r.status);
			expect(statuses.filter((s) => s === 401)).toHaveLength(5);
			expect(statuses.filter((s) => s === 429)).toHaveLength(7);
			expect(spy.mock.calls.filter(([params]) => (params as { iterations?: number }).iterations === 100_000)).toHaveLength(5);
		} finally {
			spy.mockRestore();
		}
		expect((await login(t, t.user.email)).status).toBe(429);
	});

	it("counts failures in a row only: a success resets the count", async () => {
		const t = await registerTenant();
		for (let i = 0; i < 4; i++) expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		expect((await login(t, t.user.email)).status).toBe(200);
		for (let i = 0; i < 4; i++) expect((await login(t, t.user.email, "wrong password")).status).toBe(401);
		expect((await login(t, t.user.email)).status).toBe(200);
	});

	it("locks an email that has no account exactly like one that has, and other accounts stay open", async () => {
		const t = await registerTenant();
		for (let i = 0; i < 5; i++) expect((await login(t, "ghost@example.com", "whatever pw")).status).toBe(401);
		const ghost = await login(t, "ghost@example.com", "whatever pw");
		expect(ghost.status).toBe(429);
		expect(ghost.headers.get("Retry-After")).toMatch(/^\d+$/);
		expect((await login(t, t.user.email)).status).toBe(200);
	});
});

describe("POST /auth/refresh", () => {
	it("rotates on every use: a new pair each time, and the old refresh token is spent", async () => {
		const t = await registerTenant();
		const first = await refresh(t.refresh_token);
		expect(first.status).toBe(200);
		const pair = await first.json<{ access_token: string; refresh_token: string; token_type: string; expires_in: number }>();
		expect(pair).toMatchObject({ token_type: "bearer", expires_in: 1800 });
		expect(pair.refresh_token).not.toBe(t.refresh_token);
		expect((await profile(pair.access_token)).status).toBe(200);
		const second = await refresh(pair.refresh_token);
		expect(second.status).toBe(200);
	});

	it("a refresh token used twice revokes its whole family, the newest tokens included", async () => {
		const t = await registerTenant();
		const rotated = await (await refresh(t.refresh_token)).json<{ access_token: string; refresh_token: string }>();
		// The old token comes back (stolen copy, or a replay): reuse.
		const replay = await refresh(t.refresh_token);
		expect(replay.status).toBe(401);
		expect((await errorOf(replay)).code).toBe("UNAUTHORIZED");
		// Everything of that family is dead now, the legitimate newest pair too.
		expect((await refresh(rotated.refresh_token)).status).toBe(401);
		expect((await profile(rotated.access_token)).status).toBe(401);
		expect((await profile(t.access_token)).status).toBe(401);
		// Other sessions of the same user are untouched.
		const other = await (await login(t, t.user.email)).json<{ access_token: string }>();
		expect((await profile(other.access_token)).status).toBe(200);
		const audit = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'auth.refresh_reuse_detected'")
			.bind(t.tenant.id)
			.first<{ n: number }>();
		expect(audit!.n).toBe(1);
	});

	it("two concurrent uses of one refresh token are a reuse: one answer wins, then the family is revoked", async () => {
		const t = await registerTenant();
		const results = await Promise.all([refresh(t.refresh_token), refresh(t.refresh_token)]);
		expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
		// The contract's rule holds strictly: the winner's new pair belongs to the revoked family.
		const winner = await results.find((r) => r.status === 200)!.json<{ access_token: string; refresh_token: string }>();
		expect((await profile(winner.access_token)).status).toBe(401);
		expect((await refresh(winner.refresh_token)).status).toBe(401);
	});

	it("refuses access tokens, garbage, truncated and alg-none tokens with 401", async () => {
		const t = await registerTenant();
		const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
		const [, payload] = t.refresh_token.split(".");
		const none = `${b64({ alg: "none", typ: "JWT" })}.${payload}.`;
		for (const token of [t.access_token, "garbage", t.refresh_token.slice(0, -5), none, "a.b.c"]) {
			const res = await refresh(token);
			expect(res.status, token).toBe(401);
		}
		expect((await postJson("/api/v1/auth/refresh", {})).status).toBe(422);
		// None of that spent the real token.
		expect((await refresh(t.refresh_token)).status).toBe(200);
	});

	it("refuses HS384/HS512 tokens signed with our own secret: the algorithm is pinned", async () => {
		const t = await registerTenant();
		const key = new TextEncoder().encode(env.JWT_SECRET);
		const { payload } = await jwtVerify(t.access_token, key);
		const { payload: rp } = await jwtVerify(t.refresh_token, key);
		for (const alg of ["HS384", "HS512"]) {
			const access = await new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
			expect((await profile(access)).status, alg).toBe(401);
			const refreshToken = await new SignJWT(rp).setProtectedHeader({ alg }).sign(key);
			expect((await refresh(refreshToken)).status, alg).toBe(401);
		}
		// The same claims signed HS256 are accepted: only the algorithm was wrong.
		expect((await profile(await new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(key))).status).toBe(200);
	});

	it("an access token expires after 30 minutes, a refresh token after 7 days", async () => {
		const t = await registerTenant();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		vi.setSystemTime(start + 29 * 60_000);
		expect((await profile(t.access_token)).status).toBe(200);
		vi.setSystemTime(start + 31 * 60_000);
		expect((await profile(t.access_token)).status).toBe(401);
		vi.setSystemTime(start + 7 * 24 * 3600_000 + 60_000);
		expect((await refresh(t.refresh_token)).status).toBe(401);
	});

	it("a session refreshed every few days still ends 30 days after sign-in", async () => {
		const t = await registerTenant();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		let token = t.refresh_token;
		for (const day of [6, 12, 18, 24]) {
			vi.setSystemTime(start + day * 24 * 3600_000);
			const res = await refresh(token);
			expect(res.status, `day ${day}`).toBe(200);
			token = (await res.json<{ refresh_token: string }>()).refresh_token;
		}
		vi.setSystemTime(start + 30 * 24 * 3600_000 + 60_000);
		expect((await refresh(token)).status).toBe(401);
	});

	it("a deactivated user's refresh token no longer works", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		await call(`/api/v1/auth/users/${viewer.id}`, { method: "DELETE", headers: bearer(t.access_token) });
		expect((await refresh(viewer.refresh_token)).status).toBe(401);
		expect((await profile(viewer.access_token)).status).toBe(401);
	});
});

describe("POST /auth/logout", () => {
	it("ends the session of the refresh token: its refresh and access tokens stop at once", async () => {
		const t = await registerTenant();
		const other = await (await login(t, t.user.email)).json<{ access_token: string; refresh_token: string }>();
		const res = await postJson("/api/v1/auth/logout", { refresh_token: t.refresh_token }, bearer(t.access_token));
		expect(res.status).toBe(204);
		expect((await refresh(t.refresh_token)).status).toBe(401);
		expect((await profile(t.access_token)).status).toBe(401);
		expect((await profile(other.access_token)).status).toBe(200);
	});

	it("without a body ends the session of the access token", async () => {
		const t = await registerTenant();
		const res = await call("/api/v1/auth/logout", { method: "POST", headers: bearer(t.access_token) });
		expect(res.status).toBe(204);
		expect((await profile(t.access_token)).status).toBe(401);
		expect((await refresh(t.refresh_token)).status).toBe(401);
	});

	it("refuses someone else's refresh token, and needs a user token", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const res = await postJson("/api/v1/auth/logout", { refresh_token: viewer.refresh_token }, bearer(t.access_token));
		expect(res.status).toBe(401);
		expect((await refresh(viewer.refresh_token)).status).toBe(200);
		expect((await postJson("/api/v1/auth/logout", { refresh_token: t.refresh_token })).status).toBe(401);
	});
});
