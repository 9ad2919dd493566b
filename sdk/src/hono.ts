import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { PulseStream } from "./client.js";
import type { PulseStreamEvent, PulseStreamOptions } from "./types.js";

/** A client, its options, or a function of the request's context giving options (to read `c.env`). */
export type PulseStreamMiddlewareOptions = PulseStream | PulseStreamOptions | ((c: Context) => PulseStreamOptions);

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
// One client per (endpoint, key, source) seen by a factory: Workers keep an isolate across
// requests, so events of many requests share batches. Bounded, since a factory could vary.
const MAX_CLIENTS = 16;

const now = () => (typeof performance !== "undefined" && typeof performance.now === "function" ? performance.now() : Date.now());

function resolver(options: PulseStreamMiddlewareOptions): (c: Context) => PulseStream {
	if (options instanceof PulseStream) return () => options;
	if (typeof options !== "function") {
		const client = new PulseStream(options);
		return () => client;
	}
	const clients = new Map<string, PulseStream>();
	return (c) => {
		const o = options(c);
		const key = JSON.stringify([o.endpoint, o.apiKey, o.source ?? null]);
		let client = clients.get(key);
		if (!client) {
			if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value as string);
			client = new PulseStream(o);
			clients.set(key, client);
		}
		return client;
	};
}

/**
 * Reports every request as an `api_call`: the route template that answered
 * (`routePath(c)` after the handlers ran, e.g. `/orders/:id`, never the raw
 * path, so endpoints stay few), the method, the status (500 when a handler
 * threw past Hono's error handler; the error still propagates) and the
 * duration. In Workers the batch is sent through `c.executionCtx.waitUntil`,
 * elsewhere the client's timer sends it.
 */
export function pulsestream(options: PulseStreamMiddlewareOptions): MiddlewareHandler {
	const clientOf = resolver(options);
	return async function pulsestreamMiddleware(c, next) {
		let client: PulseStream;
		try {
			client = clientOf(c);
		} catch (err) {
			// A missing binding must not take the application down: serve it, unreported.
			console.warn(`[pulsestream] middleware disabled for this request: ${err instanceof Error ? err.message : String(err)}`);
			return next();
		}
		// The deployment's own batch route, if this app is (or proxies) it: reporting it would feed itself.
		const url = new URL(c.req.url);
		if (`${url.origin}${url.pathname}` === client.batchUrl) return next();

		const started = now();
		let threw = false;
		try {
			await next();
		} catch (err) {
			threw = true;
			throw err;
		} finally {
			const status = threw ? 500 : c.res.status;
			const event: PulseStreamEvent = {
				event_type: "api_call",
				// After next(), routeIndex is the handler that answered; for a request nothing matched it is
				// this middleware's own pattern (e.g. `/*`), still a template and not the raw path.
				endpoint: routePath(c).slice(0, 512),
				status_code: status,
				response_time_ms: Math.max(0, Math.round((now() - started) * 1000) / 1000),
				// As the OTLP mapping does: a server error is an error.
				severity: status >= 500 ? "error" : "info",
			};
			const method = c.req.method.toUpperCase();
			if (METHODS.has(method)) event.method = method as PulseStreamEvent["method"];
			client.capture(event);
			let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
			try {
				ctx = c.executionCtx; // Hono throws when there is no execution context (Node, Bun, tests)
			} catch {
				ctx = undefined;
			}
			if (ctx) ctx.waitUntil(client.flush());
		}
	};
}

export { PulseStream };
