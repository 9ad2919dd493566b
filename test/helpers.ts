import { createExecutionContext, createScheduledController, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../src/index";

export const BASE = "https://pulsestream.test";

/** Runs the Worker's scheduled handler for `cron` at `scheduledTime`, as a Cron Trigger would. */
export async function runCron(cron: string, scheduledTime: number): Promise<void> {
	const ctx = createExecutionContext();
	await worker.scheduled(createScheduledController({ cron, scheduledTime }), env, ctx);
	await waitOnExecutionContext(ctx);
}

let clientSeq = Math.floor(Math.random() * 2 ** 23);

/**
 * A client address no other request of this test run has used (10.0.0.0/8,
 * counting on from a random start, so files sharing a D1 do not collide).
 */
export function freshClient(): string {
	const n = clientSeq++ % 2 ** 24;
	return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * Calls the Worker's own fetch handler, as a client would over HTTP. In
 * production Cloudflare sets CF-Connecting-IP on every request; a request
 * without one would count under the one shared client of the anonymous
 * limits (10 registrations an hour, 30 sign-ins a minute), which a suite
 * that registers and signs in many times would exhaust. So a request sent
 * without it gets a fresh address (`freshClient`): every call is its own
 * client unless the test names one. To test the missing header itself, call
 * `exports.default.fetch` directly.
 */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	const req = new Request(`${BASE}${path}`, init);
	if (!req.headers.has("cf-connecting-ip")) req.headers.set("CF-Connecting-IP", freshClient());
	return exports.default.fetch(req);
}

/**
 * The Worker's fetch handler run with some variables changed (`{ ...env, ...vars }`), as a
 * deployment with other [vars] or secrets would run it, with its after-the-answer work
 * (waitUntil) waited for. No client address is added: pass CF-Connecting-IP when it matters.
 */
export async function fetchWith(vars: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await worker.fetch(new Request(`${BASE}${path}`, init), { ...env, ...vars } as Env, ctx);
	await waitOnExecutionContext(ctx);
	return res;
}

/** A password-reset request from a fresh address, with the work after its 202 (lookup, token, email) waited for. */
export function requestResetAndWait(slug: string, email: string, vars: Partial<Env> = {}): Promise<Response> {
	return fetchWith(vars, "/api/v1/auth/password-reset/request", {
		method: "POST",
		headers: { "Content-Type": "application/json", "CF-Connecting-IP": freshClient() },
		body: JSON.stringify({ tenant: slug, email }),
	});
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
	return call(path, {
		method: "POST",
		headers: { "Content-Type": "application/json", ...headers },
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
}

export type Registered = {
	tenant: { id: string; slug: string; rate_limit_per_minute: number; retention_days: number };
	user: { id: string; email: string; role: string };
	api_key: { id: string; name: string; prefix: string; key: string };
	access_token: string;
	refresh_token: string;
};

let counter = 0;

/** Registers a fresh tenant (unique slug) and returns the contract's 201 body. */
export async function registerTenant(overrides: Record<string, unknown> = {}): Promise<Registered> {
	const slug = `t-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
	const res = await postJson("/api/v1/auth/register/tenant", {
		name: "Test tenant",
		slug,
		email: `owner@${slug}.test`,
		password: "correct horse battery",
		...overrides,
	});
	if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
	return res.json();
}

export const keyHeader = (t: Registered) => ({ "X-API-Key": t.api_key.key });
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export function ingest(t: Registered, event: unknown) {
	return postJson("/api/v1/ingestion/events", event, keyHeader(t));
}

export function ingestBatch(t: Registered, events: unknown[]) {
	return postJson("/api/v1/ingestion/events/batch", { events }, keyHeader(t));
}

export function tenantObject(tenantId: string) {
	return env.TENANT.getByName(tenantId);
}

/**
 * Runs the tenant object's flush alarm now (the same code the timer runs)
 * until its buffer is empty; waits when the alarm is already running.
 */
export async function flush(tenantId: string): Promise<void> {
	const stub = tenantObject(tenantId);
	for (let i = 0; i < 200; i++) {
		await runDurableObjectAlarm(stub);
		if ((await stub.pending()) === 0) return;
		await new Promise((r) => setTimeout(r, 10));
	}
	throw new Error(`tenant ${tenantId}: buffer did not drain`);
}

/** Waits, without touching the alarm, until `check` holds (the object's own timer at work). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
	const started = Date.now();
	while (!(await check())) {
		if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
		await new Promise((r) => setTimeout(r, 20));
	}
}

export async function countEvents(tenantId: string): Promise<number> {
	const row = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE tenant_id = ?")
		.bind(tenantId)
		.first<{ n: number }>();
	return row!.n;
}

export async function patchTenant(t: Registered, body: unknown) {
	return call("/api/v1/tenant", {
		method: "PATCH",
		headers: { "Content-Type": "application/json", ...bearer(t.access_token) },
		body: JSON.stringify(body),
	});
}

export type ErrorEnvelope = {
	error: { code: string; message: string; details?: { path: string; message: string }[]; request_id: string };
};

export async function errorOf(res: Response): Promise<ErrorEnvelope["error"]> {
	const body = (await res.json()) as ErrorEnvelope;
	return body.error;
}

/**
 * The rate limit window is the UTC minute: a test that fills it waits out the
 * last seconds of a minute so that its requests all land in one window.
 */
export async function inFreshWindow(): Promise<void> {
	const ms = Date.now() % 60_000;
	if (ms > 55_000) await new Promise((r) => setTimeout(r, 60_000 - ms + 50));
}

export const PASSWORD = "correct horse battery";

export function login(t: Registered, email: string, password = PASSWORD, headers: Record<string, string> = {}) {
	return postJson("/api/v1/auth/login", { tenant: t.tenant.slug, email, password }, headers);
}

export type Member = { id: string; email: string; role: string; access_token: string; refresh_token: string };

/** Adds a user with `role` to the tenant (as its owner) and signs them in. */
export async function addUser(t: Registered, role: "viewer" | "admin" | "owner", email?: string): Promise<Member> {
	const address = email ?? `${role}-${Math.random().toString(36).slice(2, 8)}@${t.tenant.slug}.test`;
	const created = await postJson("/api/v1/auth/users", { email: address, password: PASSWORD, role }, bearer(t.access_token));
	if (created.status !== 201) throw new Error(`create user failed: ${created.status} ${await created.text()}`);
	const user = await created.json<{ id: string }>();
	const res = await login(t, address, PASSWORD);
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
	const tokens = await res.json<{ access_token: string; refresh_token: string }>();
	return { id: user.id, email: address, role, ...tokens };
}

/** A JSON request with a bearer token (PATCH, POST, DELETE). */
export function send(method: string, path: string, token: string | null, body?: unknown) {
	return call(path, {
		method,
		headers: {
			...(token ? bearer(token) : {}),
			...(body !== undefined ? { "Content-Type": "application/json" } : {}),
		},
		...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
	});
}
