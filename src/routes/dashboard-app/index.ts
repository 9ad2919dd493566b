import { Hono } from "hono";
import type { Context } from "hono";
import { ApiError } from "../../lib/errors";
import type { AppEnv } from "../../lib/types";

/**
 * GET /dashboard and every path below it: the web dashboard's single page
 * (public/dashboard/index.html, built by scripts/build-dashboard.mjs), read
 * from the ASSETS binding. The page routes itself on the client, so deep
 * links (/dashboard/alerts/<id>, /dashboard/reset-password?token=…) all get
 * the same page. Only the bundle's content-hashed files under
 * /dashboard/assets/ are served by the asset router without the Worker
 * (wrangler.toml `run_worker_first`); a missing one is a 404 here, never the
 * page, so a stale tab gets an honest error instead of HTML as JavaScript.
 */
export const dashboardAppRoutes = new Hono<AppEnv>();

const PAGE = "/dashboard/index.html";

/**
 * The page's headers. The policy allows nothing but this origin: scripts and
 * styles only from our own files (no inline code, so an injected string can
 * never run), the API and the dashboard WebSocket on this host, and no
 * framing. No referrer is ever sent, so a password-reset token in the URL
 * never leaves the page; no-cache makes a deploy's new bundle names apply at
 * the next load.
 */
export function pageHeaders(url: URL): Record<string, string> {
	const ws = `${url.protocol === "https:" ? "wss" : "ws"}://${url.host}`;
	return {
		"Content-Type": "text/html; charset=utf-8",
		"Content-Security-Policy": [
			"default-src 'self'",
			"script-src 'self'",
			"style-src 'self'",
			"img-src 'self' data:",
			"font-src 'self'",
			`connect-src 'self' ${ws}`,
			"object-src 'none'",
			"base-uri 'none'",
			"form-action 'self'",
			"frame-ancestors 'none'",
		].join("; "),
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
		"Cache-Control": "no-cache",
	};
}

async function servePage(c: Context<AppEnv>): Promise<Response> {
	if (c.req.path.startsWith("/dashboard/assets/")) {
		throw new ApiError({ code: "NOT_FOUND", message: `No dashboard file ${c.req.path}.` });
	}
	const url = new URL(c.req.url);
	const asset = await c.env.ASSETS.fetch(new URL(PAGE, url));
	if (!asset.ok) {
		// A checkout that never ran the build (npm run dev and npm test run it first).
		await asset.body?.cancel();
		return c.text("The dashboard is not built: run `npm run build:dashboard`.", 503, {
			"X-Content-Type-Options": "nosniff",
			"Cache-Control": "no-store",
		});
	}
	const headers = new Headers(asset.headers);
	for (const [name, value] of Object.entries(pageHeaders(url))) headers.set(name, value);
	return new Response(asset.body, { status: 200, headers });
}

dashboardAppRoutes.get("/dashboard", servePage);
dashboardAppRoutes.get("/dashboard/*", servePage);
