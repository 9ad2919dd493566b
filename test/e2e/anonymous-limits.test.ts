import { describe, expect, inject, it } from "vitest";
import { freshClient, realFetch } from "./client-address";

// The anonymous limits over HTTP against `npm run dev`, at the contract's
// numbers: per client address 10 registrations an hour, 30 sign-in attempts a
// minute, 10 reset requests an hour; at most 3 reset emails an hour to one
// recipient; no tenant name in them.
const base = inject("baseUrl");
const mailbox = inject("mailboxUrl");

const PASSWORD = "e2e limits password";
const unique = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function post(path: string, body: unknown, ip?: string) {
	return fetch(`${base}${path}`, {
		method: "POST",
		headers: { "Content-Type": "application/json", ...(ip !== undefined ? { "CF-Connecting-IP": ip } : {}) },
		body: JSON.stringify(body),
	});
}
const register = (ip: string, extra: Record<string, string> = {}) => {
	const slug = unique("lim");
	return post("/api/v1/auth/register/tenant", { name: "Limits", slug, email: `owner@${slug}.test`, password: PASSWORD, ...extra }, ip);
};
const signIn = (ip: string, tenant: string, email = `nobody-${unique("x")}@example.com`, password = "wrong password") =>
	post("/api/v1/auth/login", { tenant, email, password }, ip);

async function expectLimited(res: Response, windowSeconds: number) {
	expect(res.status).toBe(429);
	expect(((await res.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
	const retry = Number(res.headers.get("retry-after"));
	expect(retry).toBeGreaterThan(windowSeconds - 60);
	expect(retry).toBeLessThanOrEqual(windowSeconds);
}

type Sent = { body: { to: string[]; subject: string; text: string; html?: string } };

describe("anonymous limits under npm run dev", () => {
	it("a flood of registrations from one address: exactly 10 of 12 at once get 201, the rest 429; another address is unaffected", async () => {
		const ip = freshClient();
		const all = await Promise.all(Array.from({ length: 12 }, () => register(ip)));
		const statuses = all.map((r) => r.status).sort();
		expect(statuses).toEqual([...Array(10).fill(201), 429, 429]);
		await expectLimited(all.find((r) => r.status === 429)!, 3600);
		await expectLimited(await register(ip), 3600);
		expect((await register(freshClient())).status).toBe(201);
	});

	it("a flood of sign-ins from one address: 30 a minute are answered, the 31st is 429; another address is unaffected", async () => {
		const reg = await register(freshClient());
		const { tenant } = (await reg.json()) as { tenant: { slug: string } };
		const ip = freshClient();
		for (let i = 1; i <= 30; i++) expect((await signIn(ip, tenant.slug)).status, `attempt ${i}`).toBe(401);
		await expectLimited(await signIn(ip, tenant.slug), 60);
		expect((await signIn(freshClient(), tenant.slug, `owner@${tenant.slug}.test`, PASSWORD)).status).toBe(200);
	});

	it("a flood of reset requests to one victim: 10 answered, then 429; at most 3 emails reach the victim, with no tenant name", async () => {
		const victim = `victim-${unique("v")}@example.com`;
		const phishing = "URGENT your account is suspended call 555 0100";
		const registrar = freshClient();
		const slugs: string[] = [];
		for (let i = 0; i < 4; i++) {
			const slug = unique("phish");
			expect((await post("/api/v1/auth/register/tenant", { name: phishing, slug, email: victim, password: PASSWORD, full_name: phishing }, registrar)).status).toBe(201);
			slugs.push(slug);
		}
		const ip = freshClient();
		for (let i = 0; i < 10; i++) expect((await post("/api/v1/auth/password-reset/request", { tenant: slugs[i % 4], email: victim }, ip)).status).toBe(202);
		await expectLimited(await post("/api/v1/auth/password-reset/request", { tenant: slugs[0], email: victim }, ip), 3600);
		// From other addresses the requests are answered, and still send nothing more.
		for (const slug of slugs) expect((await post("/api/v1/auth/password-reset/request", { tenant: slug, email: victim })).status).toBe(202);

		const toVictim = async () => ((await (await fetch(mailbox)).json()) as Sent[]).filter((m) => m.body.to.includes(victim));
		for (let i = 0; i < 100 && (await toVictim()).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
		// A 4th email, if one were (wrongly) on its way, was sent in the background of a request answered
		// before this control request: once the control's email arrived, the others have had their turn.
		const control = `control-${unique("c")}@example.test`;
		const controlSlug = unique("control");
		expect((await post("/api/v1/auth/register/tenant", { name: "Control", slug: controlSlug, email: control, password: PASSWORD }, freshClient())).status).toBe(201);
		expect((await post("/api/v1/auth/password-reset/request", { tenant: controlSlug, email: control }, freshClient())).status).toBe(202);
		const toControl = async () => ((await (await fetch(mailbox)).json()) as Sent[]).filter((m) => m.body.to.includes(control));
		for (let i = 0; i < 100 && (await toControl()).length < 1; i++) await new Promise((r) => setTimeout(r, 100));
		expect(await toControl()).toHaveLength(1);
		const sent = await toVictim();
		expect(sent).toHaveLength(3);
		for (const { body } of sent) {
			const text = `${body.subject}\n${body.text}\n${body.html ?? ""}`;
			expect(text).not.toMatch(/URGENT|suspended|555 0100/);
			for (const slug of slugs) expect(text).not.toContain(slug);
			expect(body.text).toContain(`${base}/dashboard/reset-password?token=`);
		}
	});

	it("garbled CF-Connecting-IP values share one client; a real address keeps its own", async () => {
		const reg = await register(freshClient());
		const { tenant } = (await reg.json()) as { tenant: { slug: string } };
		let status = 0;
		for (let i = 0; i < 31 && status !== 429; i++) status = (await signIn(`garbled-${i}`, tenant.slug)).status;
		expect(status).toBe(429);
		for (const garbled of ["999.1.1.1", "1.2.3.4, 5.6.7.8", "fe80::1%eth0", "unknown"]) expect((await signIn(garbled, tenant.slug)).status, garbled).toBe(429);
		expect((await signIn(freshClient(), tenant.slug)).status).toBe(401);
	});

	it("wrangler dev hands the Worker 127.0.0.1 for a local client, and a client-sent CF-Connecting-IP unchanged", async () => {
		const reg = await register(freshClient());
		const body = (await reg.json()) as { tenant: { slug: string }; access_token: string };
		const email = `owner@${body.tenant.slug}.test`;
		const login = (headers: Record<string, string>) =>
			realFetch(`${base}/api/v1/auth/login`, {
				method: "POST",
				headers: { "Content-Type": "application/json", ...headers },
				body: JSON.stringify({ tenant: body.tenant.slug, email, password: PASSWORD }),
			});
		expect((await login({})).status).toBe(200);
		expect((await login({ "CF-Connecting-IP": "203.0.113.9" })).status).toBe(200);
		const res = await fetch(`${base}/api/v1/audit-log?action=auth.login.succeeded`, { headers: { Authorization: `Bearer ${body.access_token}` } });
		const { entries } = (await res.json()) as { entries: { ip: string | null }[] };
		expect(entries.map((e) => e.ip)).toEqual(["203.0.113.9", "127.0.0.1"]);
	});
});
