import type { MiddlewareHandler } from "hono";
import { apiKeySecrets } from "./api-key-secrets";
import { MiB, hasBody, readJsonBody } from "./body";
import { jwtKey } from "./config";
import { type Level, log, setLogLevel } from "./log";
import type { AppEnv } from "./types";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** A request slower than this is logged whatever its status (SLOW_REQUEST_MS overrides it). */
const DEFAULT_SLOW_REQUEST_MS = 1000;

/**
 * Gives every request an id (a sane client-supplied one is kept), echoes it,
 * sets the headers every response carries, and logs the outcome.
 *
 * A successful request writes no log line (at debug level only): at
 * production volume one line per ingestion request costs more than the
 * request, and Workers Logs bills per line. Error answers (4xx at info, 5xx
 * at error) and slow requests (warn) are always logged, whatever LOG_LEVEL
 * says, with the request id a client can quote.
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
	setLogLevel(c.env.LOG_LEVEL);
	const incoming = c.req.header("x-request-id");
	const requestId = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
	c.set("requestId", requestId);
	const started = Date.now();
	await next();
	const headers = c.res.headers;
	headers.set("X-Request-Id", requestId);
	headers.set("X-Content-Type-Options", "nosniff");
	// Every API answer is per credential and live, and many carry a token, a key
	// or a secret (sign-in, registration, refresh, new keys, channel secrets):
	// no cache, shared or private, may keep any of them.
	if (c.req.path.startsWith("/api/") && !headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
	const status = c.res.status;
	const durationMs = Date.now() - started;
	const { level, slow } = requestLogLevel(status, durationMs, slowRequestMs(c.env));
	log(
		level,
		slow ? "slow request" : "request",
		{ request_id: requestId, method: c.req.method, path: c.req.path, status, duration_ms: durationMs },
		level !== "debug",
	);
};

/** How a finished request is logged: 5xx error, slow warn, other errors info, successes debug. */
export function requestLogLevel(status: number, durationMs: number, slowMs: number): { level: Level; slow: boolean } {
	const slow = durationMs >= slowMs;
	return { level: status >= 500 ? "error" : slow ? "warn" : status >= 400 ? "info" : "debug", slow };
}

function slowRequestMs(env: Env): number {
	// 0 logs every request (a debugging aid); unset, empty or garbage is the default.
	const configured = env.SLOW_REQUEST_MS ? Number(env.SLOW_REQUEST_MS) : Number.NaN;
	return Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_SLOW_REQUEST_MS;
}

/** Refuses to serve the API without its secrets (outside development), with a clear error. */
export const requireConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
	jwtKey(c.env);
	apiKeySecrets(c.env);
	await next();
};

/**
 * Body checks for the JSON management routes, in the contract's order (415,
 * 413, 400), declared by each route that takes a body (so an unknown route
 * stays a 404). The text is left in Hono's body cache for the zod validator.
 * Ingestion routes do their own reading with their own limits.
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
	const method = c.req.method;
	if ((method === "POST" || method === "PUT" || method === "PATCH") && hasBody(c.req.raw)) {
		const { text } = await readJsonBody(c.req.raw, MiB);
		// Hono's body cache holds promises at run time; its type says string.
		(c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
	}
	await next();
};
