import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, errorOf } from "../helpers";

// The dashboard's page route (src/routes/dashboard-app). Here the Worker is
// called directly (the asset router is bypassed); test/e2e/dashboard.test.ts
// covers the routing with assets on under npm run dev.
describe("GET /dashboard*", () => {
	it("serves the one page for the dashboard and every path below it, with strict headers", async () => {
		for (const path of ["/dashboard", "/dashboard/", "/dashboard/alerts/abc", "/dashboard/reset-password?token=t"]) {
			const res = await call(path);
			expect(res.status, path).toBe(200);
			expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
			const csp = res.headers.get("Content-Security-Policy")!;
			expect(csp).toContain("default-src 'self'");
			expect(csp).toContain("script-src 'self'");
			expect(csp).toContain("connect-src 'self' wss://pulsestream.test;");
			expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
			expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
			expect(res.headers.get("X-Request-Id")).toBeTruthy();
			const html = await res.text();
			expect(html).toContain('<div id="app"');
			expect(html).toMatch(/\/dashboard\/assets\/main-[A-Z0-9]+\.js/);
		}
	});

	it("allows the WebSocket on the page's own host only (ws under http)", async () => {
		const res = await exports.default.fetch(new Request("http://pulse.example.test:8787/dashboard/"));
		expect(res.headers.get("Content-Security-Policy")).toContain("connect-src 'self' ws://pulse.example.test:8787;");
		await res.body?.cancel();
	});

	it("a missing bundle file is a JSON 404, never the page; nearby paths are not the dashboard's", async () => {
		for (const path of ["/dashboard/assets/main-NOPE.js", "/dashboardx", "/index.html"]) {
			const res = await call(path);
			expect(res.status, path).toBe(404);
			expect((await errorOf(res)).code).toBe("NOT_FOUND");
		}
	});
});
