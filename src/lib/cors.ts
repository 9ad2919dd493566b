import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./types";

/**
 * CORS for the routes that serve cross-origin callers (ingestion, reads;
 * OTLP later): a web page may send events with a publishable ingest-only key
 * and a dashboard on another origin may read with a read key or a token.
 * Management routes never use this, so they stay same-origin (no CORS
 * headers; OPTIONS on them is the router's 404).
 *
 * `Access-Control-Allow-Origin: *` without credentials: keys and tokens
 * travel in headers, never cookies, so there is no ambient authority for
 * another origin to borrow and no need to reflect (or vary on) the Origin.
 */
export const CORS_ALLOW_HEADERS = "Content-Type, X-API-Key, Authorization, X-Request-Id";
export const CORS_EXPOSE_HEADERS = "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Request-Id";
/**
 * Two hours: the most Chromium honours (Firefox allows a day), so every
 * browser caches a preflight as long as it can while a change to the allowed
 * headers reaches all of them within two hours.
 */
export const CORS_MAX_AGE = "7200";

/**
 * Middleware for one path (`router.use(path, cors(["POST"]))`), registered
 * before the path's routes. An OPTIONS asking for one of `methods` (or for
 * none: a bare OPTIONS) is answered 204 here. Anything else goes on to the
 * router: the route itself, another `cors()` of an overlapping pattern (so
 * `/events/batch` and `/events/:event_id` each answer for their own method),
 * or the 404 envelope for a method no route serves. Every response that
 * passes through, errors included (401, 403, 413, 415, 422, 429), carries the
 * CORS headers, so a browser can read why it was refused.
 */
export function cors(methods: readonly string[]): MiddlewareHandler<AppEnv> {
	const allowMethods = methods.join(", ");
	return async (c, next) => {
		if (c.req.method === "OPTIONS") {
			const asked = c.req.header("access-control-request-method")?.trim().toUpperCase();
			if (!asked || methods.includes(asked)) {
				return c.body(null, 204, {
					"Access-Control-Allow-Origin": "*",
					"Access-Control-Allow-Methods": allowMethods,
					"Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
					"Access-Control-Max-Age": CORS_MAX_AGE,
				});
			}
		}
		await next();
		c.res.headers.set("Access-Control-Allow-Origin", "*");
		c.res.headers.set("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
	};
}
