import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BASE, PASSWORD, call, errorOf, freshClient, registerTenant } from "../../helpers";

// Per client address: 10 registrations an hour, 30 sign-in attempts a minute,
// 10 reset requests an hour; beyond, 429 RATE_LIMITED with Retry-After.

afterEach(() => {
	vi.restoreAllMocks();
	vi.useRealTimers();
});

const from = (ip: string | null, path: string, body: unknown) => {
	const headers: Record<string, string> = { "Content-Type": "application/json" };
	if (ip !== null) headers["CF-Connecting-IP"] = ip;
	// exports.default.fetch, not call(): call() would add an address to a request without one.
	return exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
};
const unique = () => `al-${crypto.randomUUID().slice(0, 12)}`;
const registration = () => {
	const slug = unique();
	return { name: "Limits Co", slug, email: `owner@${slug}.test`, password: PASSWORD };
};
const register = (ip: string | null) => from(ip, "/api/v1/auth/register/tenant", registration());
const signIn = (ip: string | null, tenant: string, email = `nobody-${unique()}@example.com`, password = "wrong password") =>
	from(ip, "/api/v1/auth/login", { tenant, email, password });
const reset = (ip: string | null, tenant = "no-such-tenant-x") => from(ip, "/api/v1/auth/password-reset/request", { tenant, email: "a@example.com" });

async function expectLimited(res: Response, windowSeconds: number) {
	expect(res.status).toBe(429);
	const error = await errorOf(res);
	expect(error.code).toBe("RATE_LIMITED");
	const retry = Number(res.headers.get("Retry-After"));
	expect(Number.isInteger(retry)).toBe(true);
	// Seconds until the window (started by this client's first request) ends.
	expect(retry).toBeGreaterThan(windowSeconds - 30);
	expect(retry).toBeLessThanOrEqual(windowSeconds);
}

const tenantCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM tenants").first<{ n: number }>())!.n;

describe("anonymous limits per client address", () => {
	it("registrations: the 10th in an hour is 201, the 11th 429 with Retry-After, and it does no work", async () => {
		const ip = freshClient();
		for (let i = 1; i <= 10; i++) expect((await register(ip)).status, `registration ${i}`).toBe(201);
		const before = await tenantCount();
		const pbkdf2 = vi.spyOn(crypto.subtle, "deriveBits");
		await expectLimited(await register(ip), 3600);
		expect(pbkdf2).not.toHaveBeenCalled();
		expect(await tenantCount()).toBe(before);
		// Another address is unaffected.
		expect((await register(freshClient())).status).toBe(201);
	});

	it("registrations are exact under concurrency: 15 at once from one address, exactly 10 succeed", async () => {
		const ip = freshClient();
		const statuses = (await Promise.all(Array.from({ length: 15 }, () => register(ip)))).map((r) => r.status);
		expect(statuses.filter((s) => s === 201)).toHaveLength(10);
		expect(statuses.filter((s) => s === 429)).toHaveLength(5);
	});

	it("a taken slug counts as a registration (slugs cannot be probed without limit); a malformed body does not", async () => {
		const ip = freshClient();
		const taken = registration();
		expect((await from(ip, "/api/v1/auth/register/tenant", taken)).status).toBe(201);
		for (let i = 0; i < 20; i++) expect((await from(ip, "/api/v1/auth/register/tenant", { slug: "x" })).status).toBe(422);
		for (let i = 2; i <= 10; i++) expect((await from(ip, "/api/v1/auth/register/tenant", taken)).status).toBe(409);
		await expectLimited(await register(ip), 3600);
	});

	it("sign-ins: 30 attempts a minute, successful or not; the 31st is refused before the lockout count and PBKDF2", async () => {
		const t = await registerTenant();
		const ip = freshClient();
		for (let i = 1; i <= 29; i++) expect((await signIn(ip, t.tenant.slug)).status, `attempt ${i}`).toBe(401);
		expect((await signIn(ip, t.tenant.slug, t.user.email, PASSWORD)).status).toBe(200);
		const pbkdf2 = vi.spyOn(crypto.subtle, "deriveBits");
		const refused = `refused-${unique()}@example.com`;
		await expectLimited(await signIn(ip, t.tenant.slug, refused), 60);
		await expectLimited(await signIn(ip, t.tenant.slug, t.user.email, PASSWORD), 60);
		expect(pbkdf2).not.toHaveBeenCalled();
		const counted = await env.DB.prepare("SELECT count(*) AS n FROM login_attempts WHERE key = ?").bind(`${t.tenant.slug}\n${refused}`).first<{ n: number }>();
		expect(counted!.n).toBe(0);
		expect((await signIn(freshClient(), t.tenant.slug, t.user.email, PASSWORD)).status).toBe(200);
	});

	it("password-reset requests: the 10th in an hour is 202, the 11th 429; another address is unaffected", async () => {
		const ip = freshClient();
		for (let i = 1; i <= 10; i++) expect((await reset(ip)).status, `request ${i}`).toBe(202);
		await expectLimited(await reset(ip), 3600);
		expect((await reset(freshClient())).status).toBe(202);
	});

	it("a window ends an hour (or a minute) after the client's first request, and then the client starts afresh", async () => {
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		const ip = freshClient();
		for (let i = 0; i < 10; i++) expect((await reset(ip)).status).toBe(202);
		vi.setSystemTime(start + 59 * 60_000);
		const late = await reset(ip);
		expect(late.status).toBe(429);
		expect(Number(late.headers.get("Retry-After"))).toBeLessThanOrEqual(60);
		vi.setSystemTime(start + 60 * 60_000);
		for (let i = 0; i < 10; i++) expect((await reset(ip)).status).toBe(202);
		await expectLimited(await reset(ip), 3600);

		const t = await registerTenant();
		const other = freshClient();
		vi.setSystemTime(start + 2 * 60 * 60_000);
		for (let i = 0; i < 30; i++) await signIn(other, t.tenant.slug);
		expect((await signIn(other, t.tenant.slug)).status).toBe(429);
		vi.setSystemTime(start + 2 * 60 * 60_000 + 60_000);
		expect((await signIn(other, t.tenant.slug)).status).toBe(401);
	});

	it("a missing or garbled CF-Connecting-IP counts under one shared client; real addresses keep their own", async () => {
		const t = await registerTenant();
		// Whatever earlier requests left in the shared bucket, it is full after at most 31 more.
		let status = 0;
		for (let i = 0; i < 31 && status !== 429; i++) status = (await signIn(null, t.tenant.slug)).status;
		expect(status).toBe(429);
		for (const garbled of ["", "garbage", "999.1.1.1", "1.2.3.4, 5.6.7.8", "01.2.3.4", "fe80::1%eth0", "[2001:db8::1]", "2001:db8::1::2", "localhost"]) {
			expect((await signIn(garbled, t.tenant.slug)).status, JSON.stringify(garbled)).toBe(429);
		}
		expect((await signIn(freshClient(), t.tenant.slug)).status).toBe(401);
		expect((await signIn("2001:db8:5ad:1::1", t.tenant.slug)).status).toBe(401);
	});

	it("IPv6 counts per /64: addresses of one /64 share a bucket, the next /64 has its own", async () => {
		const t = await registerTenant();
		const hex = () => Math.floor(Math.random() * 0xffff).toString(16);
		const prefix = `2001:db8:${hex()}:${hex()}`;
		for (let i = 1; i <= 30; i++) expect((await signIn(`${prefix}:${i.toString(16)}::${hex()}`, t.tenant.slug)).status).toBe(401);
		// The same /64 written another way (full form, upper case) is the same client.
		const [a, b, c, d] = prefix.split(":").map((g) => g.toUpperCase().padStart(4, "0"));
		await expectLimited(await signIn(`${a}:${b}:${c}:${d}:0000:0000:0000:0001`, t.tenant.slug), 60);
		expect((await signIn(`2001:db8:${hex()}:${hex()}::1`, t.tenant.slug)).status).toBe(401);
	});

	it("refresh and reset confirmation are not limited per address (their tokens cannot be guessed)", async () => {
		const ip = freshClient();
		for (let i = 0; i < 40; i++) {
			expect((await from(ip, "/api/v1/auth/refresh", { refresh_token: "not.a.token" })).status).toBe(401);
			expect((await from(ip, "/api/v1/auth/password-reset/confirm", { token: "x".repeat(43), new_password: "brand new secret" })).status).toBe(401);
		}
	});

	it("the OpenAPI document lists 429 on the limited routes", async () => {
		const doc = await (await call("/openapi.json")).json<{ paths: Record<string, { post: { responses: Record<string, unknown> } }> }>();
		for (const path of ["/api/v1/auth/register/tenant", "/api/v1/auth/login", "/api/v1/auth/password-reset/request"]) {
			expect(Object.keys(doc.paths[path]!.post.responses), path).toContain("429");
		}
	});
});
