import type { MiddlewareHandler } from "hono";
import { apiKeySecrets } from "./api-key-secrets";
import { MiB, hasBody, readJsonBody } from "./body";
import { jwtKey } from "./config";
import { log, setLogLevel } from "./log";
import type { AppEnv } from "./types";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives every request an id (a sane client-supplied one is kept), echoes it, and logs the outcome. */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
	setLogLevel(c.env.LOG_LEVEL);
	const incoming = c.req.header("x-request-id");
	const requestId = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
	c.set("requestId", requestId);
	const started = Date.now();
	await next();
	c.res.headers.set("X-Request-Id", requestId);
	const status = c.res.status;
	log(status >= 500 ? "error" : "info", "request", {
		request_id: requestId,
		method: c.req.method,
		path: c.req.path,
		status,
		duration_ms: Date.now() - started,
	});
};

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
