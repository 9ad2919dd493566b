import { describe, expect, it } from "vitest";
import { call } from "../helpers";

// The API reference page (src/routes/docs). Here the Worker is called
// directly (the asset router is bypassed, so the bundle itself is not
// served): test/e2e/docs.test.ts fetches both under npm run dev and opens
// the page in a browser.
describe("GET /docs", () => {
	it("is the Scalar reference page, loading the local bundle and /openapi.json under a strict policy", async () => {
		const res = await call("/docs");
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
		const html = await res.text();
		expect(html).toContain('<script src="/docs/assets/api-reference.js"');
		expect(html).toContain('"url": "/openapi.json"');
		// Nothing from another origin: no CDN script, no font service.
		expect(html).not.toMatch(/<script[^>]+src="https?:/);
		expect(html).not.toContain("cdn.jsdelivr.net");
		expect(html).toContain('"withDefaultFonts": false');

		const csp = res.headers.get("Content-Security-Policy")!;
		const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
		expect(nonce).toBeTruthy();
		expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`);
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("connect-src 'self'");
		expect(csp).toContain("frame-ancestors 'none'");
		// Inline styles only (Scalar's components need them); never inline or eval'd script, nothing from elsewhere.
		expect(csp).toContain("style-src 'self' 'unsafe-inline'");
		expect(/script-src[^;]*/.exec(csp)![0]).not.toMatch(/unsafe/);
		expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
		// Every inline script carries the nonce, so the policy lets exactly those run.
		const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]);
		expect(inline.length).toBeGreaterThan(0);
		for (const attrs of inline) expect(attrs).toContain(`nonce="${nonce}"`);
		expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
		expect(res.headers.get("X-Request-Id")).toBeTruthy();
	});

	it("uses a new nonce for every request", async () => {
		const nonces = await Promise.all([call("/docs"), call("/docs")].map(async (p) => {
			const res = await p;
			await res.body?.cancel();
			return /'nonce-([^']+)'/.exec(res.headers.get("Content-Security-Policy")!)![1];
		}));
		expect(nonces[0]).not.toBe(nonces[1]);
	});

	it("is linked from GET /", async () => {
		expect(await (await call("/")).json()).toMatchObject({ links: { docs: "/docs", openapi: "/openapi.json" } });
	});
});
