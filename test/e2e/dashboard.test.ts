// The web dashboard (GET /dashboard) as `npm run dev` serves it, in a real
// browser: Debian's chromium driven by playwright-core (never a downloaded
// browser). Sign-in, the live tail, acknowledging and resolving alerts, the
// password-reset page, the routes the dashboard must leave to the Worker, and
// screenshots at laptop and phone widths in test/artifacts/.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");
const mailbox = inject("mailboxUrl");
const ARTIFACTS = path.join(import.meta.dirname, "..", "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PASSWORD = "end-to-end-password";

type Registered = { tenant: { id: string; slug: string; name: string }; user: { email: string }; api_key: { key: string }; access_token: string };

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${base}${route}`, {
		method,
		headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as Record<string, any> };
}

async function register(name: string, email: string): Promise<Registered> {
	const res = await call("POST", "/api/v1/auth/register/tenant", {
		name,
		slug: `e2e-ui-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${Date.now().toString(36)}`,
		email,
		password: PASSWORD,
	});
	expect(res.status).toBe(201);
	return res.body as Registered;
}

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
	const started = Date.now();
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() - started > timeoutMs) throw new Error(`${what}: not in ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

let browser: Browser;
let t: Registered;
const contexts: BrowserContext[] = [];

async function newPage(viewport = { width: 1280, height: 800 }, colorScheme: "dark" | "light" = "dark"): Promise<Page> {
	const context = await browser.newContext({ viewport, colorScheme, reducedMotion: "reduce" });
	contexts.push(context);
	const page = await context.newPage();
	page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
	return page;
}

/** Signs in through the form, and waits for the overview and a live socket. */
async function signIn(page: Page, slug: string, email: string, password = PASSWORD, at = "/dashboard/"): Promise<void> {
	await page.goto(`${base}${at}`);
	await page.getByLabel("Tenant").fill(slug);
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.locator(".shell").waitFor();
}

const live = (page: Page) => page.locator('.conn[data-state="live"]').waitFor({ timeout: 10_000 });

beforeAll(async () => {
	expect(existsSync(CHROMIUM), `chromium at ${CHROMIUM} (apt-get install chromium)`).toBe(true);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
	});
	t = await register("Acme Payments", "owner@acme-ui.test");
	mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
	for (const c of contexts) await c.close().catch(() => {});
	await browser?.close();
});

describe("the dashboard's routes, under npm run dev with static assets on", () => {
	it("serves the page at /dashboard, its deep links and the reset link, with strict headers", async () => {
		for (const route of ["/dashboard", "/dashboard/", "/dashboard/reset-password?token=x", "/dashboard/alerts", "/dashboard/alerts/some-id", "/dashboard/events?source=a"]) {
			const res = await fetch(`${base}${route}`, { redirect: "manual" });
			expect(res.status, route).toBe(200);
			expect(res.headers.get("content-type"), route).toMatch(/^text\/html/);
			const csp = res.headers.get("content-security-policy") ?? "";
			expect(csp, route).toContain("default-src 'self'");
			expect(csp).toContain("script-src 'self'");
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
			expect(res.headers.get("x-content-type-options")).toBe("nosniff");
			expect(res.headers.get("referrer-policy")).toBe("no-referrer");
			expect(await res.text()).toContain('<div id="app"');
		}
		// The bundle it names is served by the asset router, typed and not sniffable, and small.
		const html = await (await fetch(`${base}/dashboard/`)).text();
		const files = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
		expect(files.some((f) => f.endsWith(".js")) && files.some((f) => f.endsWith(".css"))).toBe(true);
		for (const file of files) {
			const res = await fetch(`${base}${file}`);
			expect(res.status, file).toBe(200);
			expect(res.headers.get("x-content-type-options"), file).toBe("nosniff");
			const body = await res.arrayBuffer();
			if (file.endsWith(".js")) {
				expect(res.headers.get("content-type")).toMatch(/javascript/);
				expect(body.byteLength, "bundle size").toBeLessThan(160 * 1024);
			}
		}
		// A bundle file that does not exist is a 404, never the page.
		const missing = await fetch(`${base}/dashboard/assets/main-NOPE.js`);
		expect(missing.status).toBe(404);
		expect(await missing.text()).not.toContain('<div id="app"');
	});

	it("leaves /health, /api/*, /openapi.json, / and /__scheduled to the Worker", async () => {
		const health = await fetch(`${base}/health`);
		expect(health.status).toBe(200);
		expect(await health.json()).toMatchObject({ status: "healthy" });

		const nope = await fetch(`${base}/api/v1/nope`);
		expect(nope.status).toBe(404);
		expect(nope.headers.get("content-type")).toMatch(/application\/json/);
		expect(await nope.json()).toMatchObject({ error: { code: "NOT_FOUND" } });

		const doc = await fetch(`${base}/openapi.json`);
		expect(doc.status).toBe(200);
		expect(await doc.json()).toMatchObject({ openapi: "3.1.0" });

		const root = await fetch(`${base}/`);
		expect(await root.json()).toMatchObject({ name: "PulseStream" });

		// The e2e server runs with --test-scheduled: the cron runs, the page is not served.
		const cron = await fetch(`${base}/__scheduled?cron=*+*+*+*+*`);
		expect(cron.status).toBe(200);
		const text = await cron.text();
		expect(text).toContain("Ran scheduled event");
		expect(text).not.toContain("<html");

		for (const route of ["/dashboardx", "/_headers", "/index.html"]) {
			const res = await fetch(`${base}${route}`);
			expect(res.status, route).toBe(404);
			expect(res.headers.get("content-type"), route).toMatch(/application\/json/);
		}
	});
});

describe("the web dashboard in chromium", () => {
	it("signs in through the form: wrong password, lockout and success, tokens in sessionStorage only", async () => {
		const page = await newPage();
		await page.goto(`${base}/dashboard/`);
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		await page.screenshot({ path: path.join(ARTIFACTS, "sign-in-1280x800.png") });

		await page.getByLabel("Tenant").fill(t.tenant.slug);
		await page.getByLabel("Email").fill(t.user.email);
		await page.getByLabel("Password").fill("not the password");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor();

		// Five failures lock an address (existing or not): the form shows the API's 429 message.
		const locked = "nobody@acme-ui.test";
		for (let i = 0; i < 5; i++) await call("POST", "/api/v1/auth/login", { tenant: t.tenant.slug, email: locked, password: "wrong password" });
		await page.getByLabel("Email").fill(locked);
		await page.getByLabel("Password").fill("wrong password");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("alert").filter({ hasText: /too many failed attempts/i }).waitFor();
		await page.getByRole("button", { name: "Reset your password" }).waitFor();

		await page.getByLabel("Email").fill(t.user.email);
		await page.getByLabel("Password").fill(PASSWORD);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		await live(page);
		await page.getByText(t.tenant.name).first().waitFor();
		const stored = await page.evaluate(() => ({
			session: JSON.parse(sessionStorage.getItem("pulsestream.session") ?? "null"),
			local: JSON.stringify({ ...localStorage }),
		}));
		expect(stored.session).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), user: { tenant_id: t.tenant.id, role: "owner" } });
		expect(stored.local).not.toContain(stored.session.refresh_token);
		expect(stored.local).not.toContain(stored.session.access_token);

		// A reload keeps the session (same tab); signing out ends it on the server too.
		await page.reload();
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect((await call("POST", "/api/v1/auth/refresh", { refresh_token: stored.session.refresh_token })).status).toBe(401);
	});

	it("keeps the session: one refresh near expiry and on a 401, a reconnect after going offline, sign-in when the session ends elsewhere", async () => {
		const page = await newPage();
		await signIn(page, t.tenant.slug, t.user.email);
		await live(page);
		type Stored = { access_token: string; refresh_token: string; expires_at: number };
		const stored = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("pulsestream.session") ?? "null") as Stored | null);
		const edit = (change: { expiresIn?: number; spoilAccessToken?: boolean }) =>
			page.evaluate((c) => {
				const s = JSON.parse(sessionStorage.getItem("pulsestream.session")!);
				if (c.expiresIn !== undefined) s.expires_at = Date.now() + c.expiresIn;
				if (c.spoilAccessToken) s.access_token = `x${s.access_token.slice(1)}`;
				sessionStorage.setItem("pulsestream.session", JSON.stringify(s));
			}, change);

		// About to expire: the reload's many parallel calls (REST and the socket's token) share one
		// refresh. Two would use one refresh token twice and revoke the family, ending the session.
		const first = (await stored())!;
		await edit({ expiresIn: 5000 });
		await page.reload();
		await live(page);
		const second = await waitFor(async () => {
			const s = await stored();
			return s && s.refresh_token !== first.refresh_token ? s : undefined;
		}, 5000, "a rotated pair");
		expect(second.expires_at - Date.now()).toBeGreaterThan(20 * 60_000);
		await page.getByRole("heading", { name: "Overview" }).waitFor();

		// A refused access token: the API call refreshes once and is retried, the socket reconnects.
		await edit({ spoilAccessToken: true });
		await page.reload();
		await live(page);
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		// The page may render before the refused call's refresh has been stored: wait for the rotation.
		const third = await waitFor(async () => {
			const s = await stored();
			return s && s.refresh_token !== second.refresh_token ? s : undefined;
		}, 5000, "a pair rotated after the 401");
		expect(third.refresh_token).not.toBe(second.refresh_token);
		expect(await page.locator(".banner.error:not([hidden])").count()).toBe(0);

		// Offline and back: the state says so, then the socket comes back by itself.
		await page.context().setOffline(true);
		await page.locator('.conn[data-state="offline"]').waitFor({ timeout: 5000 });
		await page.context().setOffline(false);
		await live(page);

		// The session ends elsewhere (a logout with its tokens): the server closes the socket with
		// 4001 and the page goes back to sign-in.
		const now = (await stored())!;
		const out = await call("POST", "/api/v1/auth/logout", { refresh_token: now.refresh_token }, { Authorization: `Bearer ${now.access_token}` });
		expect(out.status).toBe(204);
		await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 5000 });
		await page.getByText("Your session has ended").waitFor();
		expect(await stored()).toBeNull();
	});

	it("an ingested event appears in the live tail within 1 s; filters resubscribe; at most 200 rows", async () => {
		const page = await newPage();
		await signIn(page, t.tenant.slug, t.user.email, PASSWORD, "/dashboard/events");
		await page.getByRole("heading", { name: "Live tail" }).waitFor();
		await live(page);
		const key = { "X-API-Key": t.api_key.key };

		const id = `ui-tail-${Date.now()}`;
		const sent = await call("POST", "/api/v1/ingestion/events", { event_id: id, event_type: "api_call", source: "tail-probe", endpoint: "/v1/tail", method: "GET", status_code: 201, response_time_ms: 7 }, key);
		expect(sent.status).toBe(202);
		const acceptedAt = Date.now();
		await page.locator(`tr[data-event-id="${id}"]`).waitFor({ timeout: 1000 });
		expect(Date.now() - acceptedAt).toBeLessThan(1000);
		await expect(page.locator(`tr[data-event-id="${id}"]`).innerText()).resolves.toContain("/v1/tail");

		// The row opens to show payload and tags, by keyboard.
		await page.locator(`tr[data-event-id="${id}"] .row-toggle`).focus();
		await page.keyboard.press("Enter");
		await page.locator("tr.event-detail:not([hidden]) pre").first().waitFor();

		// A filter is the subscription's: only matching events arrive.
		await page.getByLabel("Source").fill("only-this");
		await page.getByLabel("Source").press("Enter");
		await page.waitForFunction(() => location.search.includes("source=only-this"));
		await page.waitForTimeout(300); // the resubscribe reaches the server
		const other = `ui-other-${Date.now()}`;
		const wanted = `ui-wanted-${Date.now()}`;
		await call("POST", "/api/v1/ingestion/events", { event_id: other, event_type: "api_call", source: "someone-else", status_code: 200 }, key);
		await call("POST", "/api/v1/ingestion/events", { event_id: wanted, event_type: "api_call", source: "only-this", status_code: 500 }, key);
		await page.locator(`tr[data-event-id="${wanted}"]`).waitFor({ timeout: 2000 });
		expect(await page.locator(`tr[data-event-id="${other}"]`).count()).toBe(0);
		expect(await page.locator(`tr[data-event-id="${id}"]`).count()).toBe(0);

		// A burst: the page keeps at most 200 rows.
		await page.getByRole("button", { name: "Reset" }).click();
		await page.waitForFunction(() => !location.search.includes("source="));
		await page.waitForTimeout(300);
		const burst = Array.from({ length: 300 }, (_, i) => ({ event_id: `ui-burst-${Date.now()}-${i}`, event_type: "api_call", source: "burst", endpoint: `/v1/burst/${i % 7}`, method: "POST", status_code: i % 10 === 0 ? 503 : 200, response_time_ms: 5 + (i % 50) }));
		expect((await call("POST", "/api/v1/ingestion/events/batch", { events: burst }, key)).body.accepted).toBe(300);
		await page.locator(`tr[data-event-id="${burst[299]!.event_id}"]`).waitFor({ timeout: 3000 });
		await page.waitForTimeout(500);
		const rows = await page.locator("tr.event-row").count();
		expect(rows).toBeGreaterThan(0);
		expect(rows).toBeLessThanOrEqual(200);
		// One flush carries at most 100 events per socket: the server sends the newest of the
		// burst and counts the rest in the frame's `dropped`, which the page shows.
		await page.getByRole("status").filter({ hasText: /\d+ events were skipped by the live view/ }).waitFor({ timeout: 2000 });
		await page.screenshot({ path: path.join(ARTIFACTS, "live-tail-1280x800.png") });
	});

	it("acknowledges and resolves an alert with its buttons; new alerts arrive live; a viewer's buttons are disabled", async () => {
		const owner = { Authorization: `Bearer ${t.access_token}` };
		const key = { "X-API-Key": t.api_key.key };
		const rule = await call(
			"POST",
			"/api/v1/alerting/rules",
			{ name: "UI checkout errors", severity: "critical", condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60, filter: { source: "ui-alert-probe" } }, labels: { team: "payments" }, auto_resolve: false },
			owner,
		);
		expect(rule.status).toBe(201);
		await call("POST", "/api/v1/ingestion/events", { event_type: "error", source: "ui-alert-probe" }, key);
		const alert = await waitFor(async () => (await call("GET", `/api/v1/alerting/alerts?rule_id=${rule.body.id}`, undefined, owner)).body?.alerts?.[0], 10_000, "the alert");
		expect(alert.status).toBe("active");

		const page = await newPage();
		await signIn(page, t.tenant.slug, t.user.email, PASSWORD, "/dashboard/alerts");
		await page.getByRole("heading", { name: "Alerts" }).waitFor();
		await live(page);
		const card = page.locator(`li[data-alert-id="${alert.id}"]`);
		await card.waitFor();
		expect(await card.getAttribute("data-status")).toBe("active");
		await card.getByRole("button", { name: "Acknowledge" }).click();
		await page.locator(`li[data-alert-id="${alert.id}"][data-status="acknowledged"]`).waitFor({ timeout: 5000 });
		await expect(card.innerText()).resolves.toMatch(/acknowledged .* by owner@acme-ui\.test/i);
		// The REST side agrees (its D1 copy follows the tenant's object within a flush).
		const statusIs = (status: string) =>
			waitFor(async () => ((await call("GET", `/api/v1/alerting/alerts/${alert.id}`, undefined, owner)).body.status === status ? true : undefined), 5000, `alert ${status}`);
		await statusIs("acknowledged");

		// A second rule fires while the page is open: its card arrives over the socket.
		const second = await call(
			"POST",
			"/api/v1/alerting/rules",
			{ name: "UI search errors", severity: "warning", condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60, filter: { source: "ui-alert-live" } }, auto_resolve: false },
			owner,
		);
		await call("POST", "/api/v1/ingestion/events", { event_type: "error", source: "ui-alert-live" }, key);
		const liveCard = page.locator("li.alert-card", { hasText: "UI search errors" });
		await liveCard.waitFor({ timeout: 5000 });
		expect(await liveCard.getAttribute("data-status")).toBe("active");
		await page.screenshot({ path: path.join(ARTIFACTS, "alerts-1280x800.png") });

		await card.getByRole("button", { name: "Resolve" }).click();
		await page.locator(`li[data-alert-id="${alert.id}"][data-status="resolved"]`).waitFor({ timeout: 5000 });
		await statusIs("resolved");

		// The alert's own page (the link notifications carry) shows its timeline.
		await card.getByRole("link", { name: "UI checkout errors" }).click();
		await page.getByRole("heading", { name: "UI checkout errors" }).waitFor();
		await page.locator(".timeline li", { hasText: /acknowledged/i }).first().waitFor();
		expect(page.url()).toBe(`${base}/dashboard/alerts/${alert.id}`);

		// A viewer sees the alerts but not enabled buttons.
		const viewerEmail = "viewer@acme-ui.test";
		expect((await call("POST", "/api/v1/auth/users", { email: viewerEmail, password: PASSWORD, role: "viewer" }, owner)).status).toBe(201);
		const viewer = await newPage();
		await signIn(viewer, t.tenant.slug, viewerEmail, PASSWORD, "/dashboard/alerts");
		const viewerCard = viewer.locator("li.alert-card", { hasText: "UI search errors" });
		await viewerCard.waitFor();
		expect(await viewerCard.getByRole("button", { name: "Acknowledge" }).isDisabled()).toBe(true);
		expect(await viewerCard.getByRole("button", { name: "Resolve" }).isDisabled()).toBe(true);
		await viewer.getByText("signed in as a viewer").waitFor();
		expect(second.status).toBe(201);
	});

	it("sets a new password through the reset page, then signs in with it", async () => {
		const email = `reset-${Date.now().toString(36)}@acme-ui.test`;
		const r = await register("Reset Co", email);
		const page = await newPage();
		await page.goto(`${base}/dashboard/`);
		await page.getByRole("button", { name: "Forgot your password?" }).click();
		await page.getByRole("heading", { name: "Reset your password" }).waitFor();
		await page.getByLabel("Tenant").fill(r.tenant.slug);
		await page.getByLabel("Email").fill(email);
		await page.getByRole("button", { name: "Send reset link" }).click();
		await page.getByRole("status").filter({ hasText: "a reset link is on its way" }).waitFor();

		type Sent = { body: { to: string[]; text: string } };
		const sent = await waitFor(async () => ((await (await fetch(mailbox)).json()) as Sent[]).find((m) => m.body.to.includes(email)), 10_000, "the reset email");
		const link = /https?:\/\/\S+\/dashboard\/reset-password\?token=[A-Za-z0-9_-]+/.exec(sent.body.text)?.[0];
		expect(link, "the email's reset link").toBeDefined();
		expect(link!.startsWith(`${base}/dashboard/reset-password?token=`)).toBe(true);

		await page.goto(link!);
		await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
		// The token leaves the address bar (and so the history) at once.
		expect(page.url()).toBe(`${base}/dashboard/reset-password`);
		await page.getByLabel("New password", { exact: true }).fill("a brand new password");
		await page.getByLabel("Confirm new password").fill("a different one");
		await page.getByRole("button", { name: "Set new password" }).click();
		await page.getByRole("alert").filter({ hasText: "not the same" }).waitFor();
		await page.getByLabel("Confirm new password").fill("a brand new password");
		await page.getByRole("button", { name: "Set new password" }).click();
		await page.getByRole("heading", { name: "Password changed" }).waitFor();

		await page.getByRole("link", { name: "Sign in" }).click();
		await page.getByRole("heading", { name: "Sign in" }).waitFor();
		expect((await call("POST", "/api/v1/auth/login", { tenant: r.tenant.slug, email, password: PASSWORD })).status).toBe(401);
		await page.getByLabel("Tenant").fill(r.tenant.slug);
		await page.getByLabel("Email").fill(email);
		await page.getByLabel("Password").fill("a brand new password");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("heading", { name: "Overview" }).waitFor();

		// The used link now says so.
		const again = await newPage();
		await again.goto(link!);
		await again.getByLabel("New password", { exact: true }).fill("yet another password");
		await again.getByLabel("Confirm new password").fill("yet another password");
		await again.getByRole("button", { name: "Set new password" }).click();
		await again.getByRole("alert").filter({ hasText: "expired or was already used" }).waitFor();
	});

	it("looks right at laptop and phone widths (screenshots in test/artifacts/)", async () => {
		const key = { "X-API-Key": t.api_key.key };
		const endpoints = ["/v1/orders/{id}", "/v1/checkout", "/v1/search", "/v1/login", "/v1/cart"];
		const traffic = Array.from({ length: 400 }, (_, i) => ({
			event_type: i % 23 === 0 ? "error" : "api_call",
			source: ["checkout", "search", "auth"][i % 3],
			endpoint: endpoints[i % endpoints.length],
			method: ["GET", "POST", "PUT"][i % 3],
			status_code: i % 29 === 0 ? 503 : i % 11 === 0 ? 404 : i % 17 === 0 ? 302 : 200,
			response_time_ms: 8 + ((i * 53) % 240) + (i % 41 === 0 ? 900 : 0),
		}));
		expect((await call("POST", "/api/v1/ingestion/events/batch", { events: traffic }, key)).status).toBe(200);

		const laptop = await newPage({ width: 1280, height: 800 });
		await signIn(laptop, t.tenant.slug, t.user.email);
		await live(laptop);
		await laptop.locator(".uplot").nth(2).waitFor();
		await laptop.getByRole("cell", { name: "/v1/checkout" }).waitFor();
		await laptop.screenshot({ path: path.join(ARTIFACTS, "dashboard-1280x800.png") });
		await laptop.screenshot({ path: path.join(ARTIFACTS, "dashboard-1280x800-full.png"), fullPage: true });
		// Nothing wider than the window.
		expect(await laptop.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

		const phone = await newPage({ width: 390, height: 844 }, "light");
		await signIn(phone, t.tenant.slug, t.user.email);
		await live(phone);
		await phone.locator(".uplot").nth(2).waitFor();
		await phone.screenshot({ path: path.join(ARTIFACTS, "dashboard-390x844.png") });
		await phone.screenshot({ path: path.join(ARTIFACTS, "dashboard-390x844-full.png"), fullPage: true });
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
		await phone.getByRole("link", { name: "Live tail" }).click();
		await phone.getByRole("heading", { name: "Live tail" }).waitFor();
		await phone.locator("tr.event-row").first().waitFor();
		await phone.screenshot({ path: path.join(ARTIFACTS, "live-tail-390x844.png") });
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

		// Keyboard: on a fresh load the first Tab reaches the skip link, which moves focus to the content.
		await phone.reload();
		await phone.getByRole("heading", { name: "Live tail" }).waitFor();
		await phone.keyboard.press("Tab");
		expect(await phone.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
		await phone.keyboard.press("Enter");
		expect(await phone.evaluate(() => document.activeElement?.id)).toBe("main");
	});
});
