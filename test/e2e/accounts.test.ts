import { describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");
const mailbox = inject("mailboxUrl");

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(`${base}${path}`, {
		method: "POST",
		headers: { "Content-Type": "application/json", ...headers },
		body: JSON.stringify(body),
	});
}

type Sent = { authorization?: string; body: { from: string; to: string[]; subject: string; text: string } };

describe("accounts over HTTP against npm run dev", () => {
	it("sign in, rotate, reset the password through the email API, sign in again", async () => {
		const slug = `e2e-acc-${Date.now().toString(36)}`;
		const email = "person@example.test";
		const reg = await post("/api/v1/auth/register/tenant", { name: "E2E accounts", slug, email, password: "first password" });
		expect(reg.status).toBe(201);

		const login = await post("/api/v1/auth/login", { tenant: slug, email, password: "first password" });
		expect(login.status).toBe(200);
		const pair = (await login.json()) as { access_token: string; refresh_token: string };
		const rotated = await post("/api/v1/auth/refresh", { refresh_token: pair.refresh_token });
		expect(rotated.status).toBe(200);
		expect((await post("/api/v1/auth/refresh", { refresh_token: pair.refresh_token })).status).toBe(401);

		expect((await post("/api/v1/auth/password-reset/request", { tenant: slug, email })).status).toBe(202);
		let sent: Sent | undefined;
		for (let i = 0; i < 100 && !sent; i++) {
			const all = (await (await fetch(mailbox)).json()) as Sent[];
			sent = all.find((m) => m.body.to.includes(email));
			if (!sent) await new Promise((r) => setTimeout(r, 100));
		}
		expect(sent, "the reset email reached the email API").toBeDefined();
		expect(sent!.authorization).toBe("Bearer e2e-email-key");
		const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(sent!.body.text)![1]!;
		expect(sent!.body.text).toContain(`${base}/dashboard/reset-password?token=`);

		expect((await post("/api/v1/auth/password-reset/confirm", { token, new_password: "second password" })).status).toBe(204);
		expect((await post("/api/v1/auth/password-reset/confirm", { token, new_password: "third password" })).status).toBe(401);
		expect((await post("/api/v1/auth/login", { tenant: slug, email, password: "first password" })).status).toBe(401);
		expect((await post("/api/v1/auth/login", { tenant: slug, email, password: "second password" })).status).toBe(200);
	});
});
