import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../../lib/types";

/**
 * GET /docs: the interactive API reference (Scalar), rendered in the browser
 * from GET /openapi.json. The page is a few lines of HTML; its script is
 * Scalar's self-contained bundle, copied into the static assets at build
 * time (scripts/copy-docs-bundle.mjs) and served from this origin by the
 * asset router, because CI and many deployments have no internet and the
 * policy below allows no other origin.
 */
export const DOCS_BUNDLE = "/docs/assets/api-reference.js";

export const docsRoutes = new Hono<AppEnv>();

/**
 * The page's policy: scripts only from this origin plus the one inline
 * initialisation script, by a per-request nonce (Scalar's middleware puts it
 * on its script tag); no eval (the bundle only probes for it, and falls back).
 * Styles need 'unsafe-inline': the bundle's components set style attributes
 * and inject style elements of their own, which a nonce cannot cover (checked
 * in a browser by test/e2e/docs.test.ts); a style cannot run code. Requests
 * (the document, "try it") go to this origin only; no fonts or images from
 * elsewhere (Scalar's font CDN is switched off), no framing, no referrer.
 */
export function docsHeaders(nonce: string): Record<string, string> {
	return {
		"Content-Security-Policy": [
			"default-src 'none'",
			`script-src 'self' 'nonce-${nonce}'`,
			"style-src 'self' 'unsafe-inline'",
			"img-src 'self' data: blob:",
			"font-src 'self' data:",
			"connect-src 'self'",
			"worker-src 'self' blob:",
			"object-src 'none'",
			"base-uri 'none'",
			"form-action 'none'",
			"frame-ancestors 'none'",
		].join("; "),
		"Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control": "no-cache",
	};
}

const nonceOf = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));

docsRoutes.get("/docs", async (c, next) => {
	const nonce = nonceOf();
	const render = Scalar({
		url: "/openapi.json",
		cdn: DOCS_BUNDLE,
		nonce,
		pageTitle: "PulseStream API reference",
		// Nothing leaves for Scalar's services: no font CDN, no telemetry, no hosted client or agent.
		withDefaultFonts: false,
		telemetry: false,
		hideClientButton: true,
		showDeveloperTools: "never",
		agent: { disabled: true },
		mcp: { disabled: true },
	});
	// Scalar's handler is typed for Hono's default Env; it reads nothing from ours.
	const res = await render(c as unknown as Parameters<typeof render>[0], next);
	if (!(res instanceof Response)) return c.notFound();
	for (const [name, value] of Object.entries(docsHeaders(nonce))) res.headers.set(name, value);
	return res;
});
