import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../../src/lib/crypto";
import {
	BASE,
	PASSWORD,
	addUser,
	bearer,
	call,
	errorOf,
	eventually,
	login,
	postJson,
	registerTenant,
	requestResetAndWait,
	type Registered,
} from "../../helpers";

const profile = (token: string) => call("/api/v1/auth/profile", { headers: bearer(token) });
const refresh = (token: string) => postJson("/api/v1/auth/refresh", { refresh_token: token });
const changePassword = (token: string, body: unknown) => postJson("/api/v1/auth/change-password", body, bearer(token));
const confirm = (token: string, password: string) =>
	postJson("/api/v1/auth/password-reset/confirm", { token, new_password: password });

afterEach(() => {
	vi.restoreAllMocks();
	vi.useRealTimers();
});

/** Without EMAIL_API_URL, emails go to the log: catch the one sent to `to`. */
function emailLog() {
	const spy = vi.spyOn(console, "warn");
	return {
		async next(to: string): Promise<{ subject: string; text: string; token: string }> {
			let found: { subject: string; text: string } | undefined;
			await eventually(async () => {
				for (const [line] of spy.mock.calls) {
					if (typeof line !== "string" || !line.includes('"email"')) continue;
					const email = JSON.parse(line).email as { to: string[]; subject: string; text: string };
					if (email.to.includes(to)) found = email;
				}
				return found !== undefined;
			});
			const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(found!.text)![1]!;
			return { ...found!, token };
		},
		sentTo(to: string): boolean {
			return spy.mock.calls.some(([line]) => typeof line === "string" && line.includes('"email"') && line.includes(to));
		},
	};
}

async function requestReset(t: Registered, email: string, slug = t.tenant.slug) {
	return postJson("/api/v1/auth/password-reset/request", { tenant: slug, email });
}

describe("profile", () => {
	it("GET shows the signed-in user; PATCH changes the name only", async () => {
		const t = await registerTenant({ full_name: "Ada" });
		expect(await (await profile(t.access_token)).json()).toMatchObject({ id: t.user.id, full_name: "Ada", role: "owner" });
		const res = await call("/api/v1/auth/profile", {
			method: "PATCH",
			headers: { ...bearer(t.access_token), "Content-Type": "application/json" },
			body: JSON.stringify({ full_name: "Ada Lovelace", role: "viewer", email: "x@y.z" }),
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ full_name: "Ada Lovelace", role: "owner", email: t.user.email });
		const bad = await call("/api/v1/auth/profile", {
			method: "PATCH",
			headers: { ...bearer(t.access_token), "Content-Type": "application/json" },
			body: JSON.stringify({ full_name: 42 }),
		});
		expect(bad.status).toBe(422);
	});
});

describe("POST /auth/change-password", () => {
	it("changes the password and signs out every other session, keeping this one", async () => {
		const t = await registerTenant();
		const other = await (await login(t, t.user.email)).json<{ access_token: string; refresh_token: string }>();
		const res = await changePassword(t.access_token, { current_password: PASSWORD, new_password: "a new long secret" });
		expect(res.status).toBe(204);
		expect((await profile(other.access_token)).status).toBe(401);
		expect((await refresh(other.refresh_token)).status).toBe(401);
		expect((await profile(t.access_token)).status).toBe(200);
		expect((await refresh(t.refresh_token)).status).toBe(200);
		expect((await login(t, t.user.email, PASSWORD)).status).toBe(401);
		expect((await login(t, t.user.email, "a new long secret")).status).toBe(200);
	});

	it("refuses a wrong current password (422 naming it) and weak or over-long new ones", async () => {
		const t = await registerTenant();
		const wrong = await changePassword(t.access_token, { current_password: "not my password", new_password: "a new long secret" });
		expect(wrong.status).toBe(422);
		expect((await errorOf(wrong)).details).toEqual([{ path: "current_password", message: expect.any(String) }]);
		for (const weak of ["short", "1234567", "aaaaaaaaaaaa", "abababababab", "x".repeat(129)]) {
			const res = await changePassword(t.access_token, { current_password: PASSWORD, new_password: weak });
			expect(res.status, weak).toBe(422);
			expect((await errorOf(res)).details).toEqual([{ path: "new_password", message: expect.any(String) }]);
		}
		const same = await changePassword(t.access_token, { current_password: PASSWORD, new_password: PASSWORD });
		expect(same.status).toBe(422);
		expect((await login(t, t.user.email)).status).toBe(200);
	});

	it("counts wrong current passwords towards the lockout", async () => {
		const t = await registerTenant();
		for (let i = 0; i < 5; i++) {
			expect((await changePassword(t.access_token, { current_password: "guess number x", new_password: "a new long secret" })).status).toBe(422);
		}
		const locked = await changePassword(t.access_token, { current_password: PASSWORD, new_password: "a new long secret" });
		expect(locked.status).toBe(429);
		expect((await errorOf(locked)).code).toBe("ACCOUNT_LOCKED");
	});
});

describe("password reset", () => {
	it("emails a single-use link; confirming sets the password, ends sessions and lifts a lock", async () => {
		const t = await registerTenant();
		const mail = emailLog();
		for (let i = 0; i < 5; i++) await login(t, t.user.email, "wrong password");
		expect((await login(t, t.user.email)).status).toBe(429);

		const res = await requestReset(t, t.user.email);
		expect(res.status).toBe(202);
		const email = await mail.next(t.user.email);
		expect(email.subject).toMatch(/reset/i);
		expect(email.text).toContain(`${BASE}/dashboard/reset-password?token=`);
		// Only the hash is stored.
		const stored = await env.DB.prepare("SELECT token_hash FROM password_resets WHERE user_id = ?").bind(t.user.id).first<{ token_hash: string }>();
		expect(stored!.token_hash).toBe(await sha256Hex(email.token));

		expect((await confirm(email.token, "brand new secret")).status).toBe(204);
		expect((await profile(t.access_token)).status).toBe(401);
		expect((await login(t, t.user.email, "brand new secret")).status).toBe(200);
		// Once only.
		const again = await confirm(email.token, "another new secret");
		expect(again.status).toBe(401);
		expect((await errorOf(again)).code).toBe("UNAUTHORIZED");
		expect((await login(t, t.user.email, "brand new secret")).status).toBe(200);
	});

	it("answers 202 for unknown emails and tenants too, and sends nothing", async () => {
		const t = await registerTenant();
		const mail = emailLog();
		const unknown = await requestResetAndWait(t.tenant.slug, "nobody@example.com");
		const noTenant = await requestResetAndWait("no-such-tenant-x", t.user.email);
		const known = await requestResetAndWait(t.tenant.slug, t.user.email);
		expect([unknown.status, noTenant.status, known.status]).toEqual([202, 202, 202]);
		const bodies = await Promise.all([unknown.json(), noTenant.json(), known.json()]);
		expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
		await mail.next(t.user.email);
		expect(mail.sentTo("nobody@example.com")).toBe(false);
	});

	it("a link expires after one hour", async () => {
		const t = await registerTenant();
		const mail = emailLog();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		await requestReset(t, t.user.email);
		const { token } = await mail.next(t.user.email);
		vi.setSystemTime(start + 60 * 60_000 + 1_000);
		expect((await confirm(token, "brand new secret")).status).toBe(401);
		expect((await login(t, t.user.email)).status).toBe(200);
	});

	it("refuses garbage tokens and weak passwords without using the token up", async () => {
		const t = await registerTenant();
		const mail = emailLog();
		await requestReset(t, t.user.email);
		const { token } = await mail.next(t.user.email);
		expect((await confirm("not-a-real-token", "brand new secret")).status).toBe(401);
		expect((await confirm(token, "short")).status).toBe(422);
		expect((await postJson("/api/v1/auth/password-reset/confirm", { new_password: "brand new secret" })).status).toBe(422);
		expect((await confirm(token, "brand new secret")).status).toBe(204);
	});

	it("sends through the email API when EMAIL_API_URL is set (Resend's shape, bearer key)", async () => {
		const t = await registerTenant();
		const sent: Request[] = [];
		const realFetch = globalThis.fetch;
		vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
			const req = new Request(input, init);
			if (req.url !== "https://mail.example/emails") return realFetch(input, init);
			sent.push(req);
			return Response.json({ id: "email_1" });
		});
		const res = await requestResetAndWait(t.tenant.slug, t.user.email, {
			EMAIL_API_URL: "https://mail.example/emails",
			EMAIL_API_KEY: "re_test_key",
			APP_URL: "https://app.example/",
		});
		expect(res.status).toBe(202);
		expect(sent).toHaveLength(1);
		expect(sent[0]!.method).toBe("POST");
		expect(sent[0]!.headers.get("authorization")).toBe("Bearer re_test_key");
		const body = await sent[0]!.json<{ from: string; to: string[]; subject: string; text: string; html: string }>();
		expect(body).toMatchObject({ from: expect.any(String), to: [t.user.email], subject: expect.any(String) });
		expect(body.text).toMatch(/^[\s\S]*https:\/\/app\.example\/dashboard\/reset-password\?token=[A-Za-z0-9_-]{43}/);
		expect(body.html).toContain("https://app.example/dashboard/reset-password?token=");
	});

	it("outside development, sends no link without APP_URL (never one built from the request's Host)", async () => {
		const t = await registerTenant();
		const errors = vi.spyOn(console, "error");
		const sent = vi.spyOn(globalThis, "fetch");
		const res = await requestResetAndWait(t.tenant.slug, t.user.email, { APP_URL: "", EMAIL_API_URL: "https://mail.example/emails", EMAIL_API_KEY: "k" });
		expect(res.status).toBe(202);
		expect(sent).not.toHaveBeenCalled();
		expect(errors.mock.calls.some(([line]) => String(line).includes("APP_URL"))).toBe(true);
		const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM password_resets WHERE user_id = ?").bind(t.user.id).first<{ n: number }>())!;
		expect(n).toBe(0);
	});

	it("sends at most one email a minute per account", async () => {
		const t = await registerTenant();
		const mail = emailLog();
		expect((await requestResetAndWait(t.tenant.slug, t.user.email)).status).toBe(202);
		await mail.next(t.user.email);
		expect((await requestResetAndWait(t.tenant.slug, t.user.email)).status).toBe(202);
		const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM password_resets WHERE user_id = ?").bind(t.user.id).first<{ n: number }>())!;
		expect(n).toBe(1);
	});

	it("does not reset a deactivated user's password", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const mail = emailLog();
		await requestReset(t, viewer.email);
		const { token } = await mail.next(viewer.email);
		await call(`/api/v1/auth/users/${viewer.id}`, { method: "DELETE", headers: bearer(t.access_token) });
		expect((await confirm(token, "brand new secret")).status).toBe(401);
	});
});
