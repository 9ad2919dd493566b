#!/usr/bin/env node
// `npm run demo [-- options]`: shows PulseStream alive in under a minute,
// against a running `npm run dev` (or any deployment given by --url).
//
//   1. signs up the tenant "demo" (Demo Shop), or signs in when it exists,
//      and makes this run's API key (revoking the previous run's);
//   2. makes (or brings up to date) the alert rule "Checkout 5xx error rate"
//      with an email channel to the demo owner;
//   3. sends realistic traffic from five services through the batch
//      ingestion API, every ~500 ms: mostly 2xx, some 4xx, rare 5xx, error
//      and user_action events, latencies with a long tail;
//   4. ~20 s in, a bad checkout deploy answers 5xx for ~20 s: the alert
//      fires; after the rollback it resolves by itself once the rule's
//      60-second window has slid past the burst (~1 minute later).
//
// Node 20, no dependency. `node scripts/demo.mjs --help` lists the options.
import { randomUUID } from "node:crypto";

// ───────────────────────────── options ─────────────────────────────

const HELP = `npm run demo [-- options]    (needs \`npm run dev\` running in another terminal)

  --url <url>                 PulseStream's address (default $PULSESTREAM_URL or http://localhost:8787)
  --duration <s>              how long to send traffic (default 120; 0 = until Ctrl-C)
  --rate <events/s>           average events per second (default 50)
  --incident-at <s>           when the checkout 5xx burst starts (default 20; negative = no incident)
  --incident-duration <s>     how long it lasts (default 20)
  --slug <slug>               demo tenant slug (default demo)
  --email <email>             demo owner's email (default demo@pulsestream.dev)
  --password <password>       demo owner's password (default pulsestream-demo)
  --quiet                     no progress line: only the sign-in details, milestones and the summary
  --help                      this text

Ctrl-C stops it cleanly with a summary. The data stays: sign in to <url>/dashboard afterwards.`;

const DEFAULTS = {
	url: process.env.PULSESTREAM_URL || "http://localhost:8787",
	duration: 120,
	rate: 50,
	"incident-at": 20,
	"incident-duration": 20,
	slug: "demo",
	email: "demo@pulsestream.dev",
	password: "pulsestream-demo",
	quiet: false,
};

function parseArgs(argv) {
	const opts = { ...DEFAULTS };
	const numeric = new Set(["duration", "rate", "incident-at", "incident-duration"]);
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === "--help" || arg === "-h") {
			console.log(HELP);
			process.exit(0);
		}
		if (arg === "--quiet" || arg === "-q") {
			opts.quiet = true;
			continue;
		}
		const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
		if (!m || !(m[1] in DEFAULTS) || m[1] === "quiet") fail(`Unknown option ${arg}.\n\n${HELP}`, 2);
		const name = m[1];
		const value = m[2] ?? argv[++i];
		if (value === undefined) fail(`${arg} needs a value.\n\n${HELP}`, 2);
		if (numeric.has(name)) {
			const n = Number(value);
			if (!Number.isFinite(n) || value.trim() === "") fail(`${arg} takes a number of ${name === "rate" ? "events per second" : "seconds"}, not "${value}".`, 2);
			opts[name] = n;
		} else {
			opts[name] = value;
		}
	}
	opts.url = opts.url.replace(/\/+$/, "");
	if (!/^https?:\/\/[^/]+/.test(opts.url)) fail(`--url must be an http(s) address such as http://localhost:8787, not "${opts.url}".`, 2);
	if (opts.duration < 0) fail("--duration is a number of seconds ≥ 0 (0 = until Ctrl-C).", 2);
	if (opts.rate <= 0 || opts.rate > 5000) fail("--rate is a number of events per second, above 0 and at most 5000.", 2);
	if (opts["incident-duration"] <= 0) fail("--incident-duration is a number of seconds above 0.", 2);
	if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(opts.slug)) fail(`--slug must match ^[a-z0-9][a-z0-9-]{1,62}$ (lowercase letters, digits, dashes), not "${opts.slug}".`, 2);
	if (opts.password.length < 8) fail("--password needs at least 8 characters.", 2);
	return opts;
}

function fail(message, code = 1) {
	process.stderr.write(`${message}\n`);
	process.exit(code);
}

const opts = parseArgs(process.argv.slice(2));
const BASE = opts.url;
const API = `${BASE}/api/v1`;
const TTY = Boolean(process.stdout.isTTY);
const COLOR = TTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
const paint = (code) => (s) => (COLOR ? `\x1b[${code}m${s}\x1b[0m` : String(s));
const bold = paint("1");
const dim = paint("2");
const red = paint("31");
const green = paint("32");
const yellow = paint("33");
const cyan = paint("36");

// ───────────────────────────── the demo's alert rule ─────────────────────────────

const RULE_NAME = "Checkout 5xx error rate";
const CHANNEL_NAME = "Demo on-call (email)";
/**
 * error_rate counts error events plus api_calls with status >= 500 over all
 * matching events. During the incident checkout answers ~80% 5xx and clients
 * retry (2.5x its usual volume), so the 60 s window crosses 0.2 a few
 * seconds into the burst, even when the window is full of healthy traffic;
 * for_seconds 5 keeps a stray early 5xx from opening it. It resolves under
 * 0.1, once the window has slid past the burst. cooldown_seconds 0: every
 * demo run, however soon after the last, shows a fresh alert.
 */
const ruleDefinition = (channelIds) => ({
	name: RULE_NAME,
	description: "npm run demo: fires when more than 20% of the checkout service's requests fail (5xx or error events) over a minute.",
	enabled: true,
	severity: "critical",
	condition: { metric: "error_rate", operator: "gt", threshold: 0.2, window_seconds: 60, filter: { source: "checkout" } },
	for_seconds: 5,
	resolve_threshold: 0.1,
	no_data: "ok",
	labels: { team: "payments", service: "checkout", demo: "true" },
	channel_ids: channelIds,
	cooldown_seconds: 0,
	auto_resolve: true,
});

// ───────────────────────────── HTTP ─────────────────────────────

class NetworkError extends Error {}

/** One request; network failures (refused, reset, timeout) throw NetworkError. */
async function request(method, path, { body, token, key, timeoutMs = 10_000 } = {}) {
	const headers = { Accept: "application/json", "User-Agent": "pulsestream-demo" };
	if (body !== undefined) headers["Content-Type"] = "application/json";
	if (token) headers.Authorization = `Bearer ${token}`;
	if (key) headers["X-API-Key"] = key;
	let res;
	try {
		res = await fetch(path.startsWith("http") ? path : `${API}${path}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(timeoutMs),
		});
	} catch (err) {
		const cause = err?.cause?.code || err?.cause?.message || err?.name || String(err);
		throw new NetworkError(err?.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : String(cause));
	}
	const text = await res.text().catch(() => "");
	let json = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {}
	return { status: res.status, body: json, text, headers: res.headers };
}

const errorText = (res) => res.body?.error?.message ?? (res.text ? res.text.slice(0, 200) : `HTTP ${res.status}`);

/** The signed-in demo owner: calls with the access token, refreshing it (or signing in again) on a 401. */
const session = { access: null, refresh: null };

async function signIn() {
	return request("POST", "/auth/login", { body: { tenant: opts.slug, email: opts.email, password: opts.password } });
}

async function userCall(method, path, body) {
	let res = await request(method, path, { body, token: session.access });
	if (res.status !== 401) return res;
	const refreshed = session.refresh ? await request("POST", "/auth/refresh", { body: { refresh_token: session.refresh } }) : null;
	const fresh = refreshed?.status === 200 ? refreshed : await signIn();
	if (fresh.status !== 200) return res;
	session.access = fresh.body.access_token;
	session.refresh = fresh.body.refresh_token;
	return request(method, path, { body, token: session.access });
}

/** A management call that must succeed: anything else ends the demo with what the server said. */
async function must(method, path, body, expected, what) {
	const res = await userCall(method, path, body);
	if (!expected.includes(res.status)) {
		const details = res.body?.error?.details?.map((d) => `${d.path}: ${d.message}`).join("; ");
		fail(`Could not ${what}: ${method} ${path} answered ${res.status}: ${errorText(res)}${details ? ` (${details})` : ""}`);
	}
	return res.body;
}

// ───────────────────────────── set-up ─────────────────────────────

async function checkServer() {
	let res;
	try {
		res = await request("GET", `${BASE}/health`, { timeoutMs: 5_000 });
	} catch (err) {
		fail(
			`PulseStream is not reachable at ${BASE} (${err.message}).\n` +
				"Start it with `npm run dev` in another terminal, wait until it says \"Ready on\", then run `npm run demo` again.\n" +
				"(Running elsewhere? npm run demo -- --url http://host:port, or set PULSESTREAM_URL.)",
		);
	}
	if (res.body?.status === "healthy") return;
	if (res.body?.status === "unhealthy") fail(`PulseStream at ${BASE} answers but is unhealthy (${JSON.stringify(res.body.checks ?? {})}); check the \`npm run dev\` terminal.`);
	fail(`Something answers at ${BASE}, but not PulseStream (GET /health: ${res.status}). Start it with \`npm run dev\`, or point --url at it.`);
}

function rateLimitedSignIn(res, what) {
	const wait = res.headers.get("retry-after");
	const locked = res.body?.error?.code === "ACCOUNT_LOCKED";
	fail(
		`Could not ${what}: ${errorText(res)}${wait ? ` (retry after ${wait} s)` : ""}\n` +
			(locked
				? `The demo account is locked after failed sign-ins. Wait, or use another tenant: npm run demo -- --slug another-demo`
				: "Wait a little and run it again."),
	);
}

/**
 * Signs in to the demo tenant, or signs it up when that fails and the slug is
 * free. Returns {created, apiKey, keyNote}. Signing in first means a repeated
 * run (several an hour is normal) costs one sign-in attempt and no
 * registration: registrations are limited to 10 an hour per client address,
 * and under `npm run dev` every local client is the same 127.0.0.1.
 */
async function tenantAndKey() {
	const login = await signIn();
	if (login.status === 429) rateLimitedSignIn(login, `sign in to the demo tenant "${opts.slug}"`);
	if (login.status !== 200) {
		const reg = await request("POST", "/auth/register/tenant", {
			body: { name: "Demo Shop", slug: opts.slug, email: opts.email, password: opts.password, full_name: "Demo Owner" },
		});
		if (reg.status === 201) {
			session.access = reg.body.access_token;
			session.refresh = reg.body.refresh_token;
			return { created: true, apiKey: reg.body.api_key.key, keyNote: "the tenant's first key" };
		}
		if (reg.status === 429) rateLimitedSignIn(reg, "sign up the demo tenant");
		if (reg.status !== 409) fail(`Could not sign up the demo tenant: POST /auth/register/tenant answered ${reg.status}: ${errorText(reg)}`);
		// The tenant exists, so the sign-in above was refused for this account.
		if (login.status === 401 || login.status === 403) {
			fail(
				`The tenant "${opts.slug}" already exists, but ${opts.email} with the demo password cannot sign in to it` +
					`${login.status === 403 ? " (the tenant or user is suspended or deactivated)" : " (someone changed the password, or it is not the demo's tenant)"}.\n` +
					`Run the demo on another tenant:  npm run demo -- --slug another-demo\n` +
					`or give the password you set:     npm run demo -- --password '<password>'`,
			);
		}
		fail(`Could not sign in to "${opts.slug}": POST /auth/login answered ${login.status}: ${errorText(login)}`);
	}
	session.access = login.body.access_token;
	session.refresh = login.body.refresh_token;
	if (!["owner", "admin"].includes(login.body.user?.role)) {
		fail(`${opts.email} is a ${login.body.user?.role} of "${opts.slug}"; the demo needs an admin or owner (it makes an API key and an alert rule).`);
	}

	// A key is shown only once: make this run's, then revoke the earlier runs' (named "demo") so they do not pile up.
	const created = await must("POST", "/api-keys", { name: "demo" }, [201], "create the demo API key");
	const { api_keys: keys = [] } = await must("GET", "/api-keys", undefined, [200], "list the API keys");
	let revoked = 0;
	for (const k of keys) {
		if (k.name !== "demo" || k.id === created.id || k.revoked_at) continue;
		const res = await userCall("DELETE", `/api-keys/${encodeURIComponent(k.id)}`);
		if (res.status === 204) revoked++;
	}
	return { created: false, apiKey: created.key, keyNote: `new for this run${revoked ? `; revoked ${revoked} earlier demo key${revoked > 1 ? "s" : ""}` : ""}` };
}

/** The email channel and the rule, found by name (made or brought up to the demo's definition). */
async function alertRule() {
	const { channels = [] } = await must("GET", "/alerting/channels", undefined, [200], "list the alert channels");
	let channel = channels.find((c) => c.name === CHANNEL_NAME && c.type === "email");
	if (!channel) {
		channel = await must("POST", "/alerting/channels", { name: CHANNEL_NAME, type: "email", config: { to: [opts.email] } }, [201], "create the demo's email channel");
	} else if (JSON.stringify(channel.config?.to) !== JSON.stringify([opts.email])) {
		channel = await must("PATCH", `/alerting/channels/${channel.id}`, { config: { to: [opts.email] } }, [200], "update the demo's email channel");
	}
	const wanted = ruleDefinition([channel.id]);
	const { rules = [] } = await must("GET", "/alerting/rules", undefined, [200], "list the alert rules");
	const existing = rules.find((r) => r.name === RULE_NAME);
	if (!existing) return { rule: await must("POST", "/alerting/rules", wanted, [201], "create the demo alert rule"), change: "created" };
	const differs = Object.keys(wanted).some((k) => !sameJson(existing[k], wanted[k]));
	if (!differs) return { rule: existing, change: "found" };
	const { name: _name, ...patch } = wanted;
	return { rule: await must("PATCH", `/alerting/rules/${existing.id}`, patch, [200], "update the demo alert rule"), change: "reset to the demo's definition" };
}

function sameJson(a, b) {
	const norm = (v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)])) : v);
	return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * Alerts an earlier run left open (stopped during its incident). One rule has
 * at most one open alert, so this run's incident would only update it; and
 * the rule's window may still hold the earlier burst, so resolving it by hand
 * now would just let it fire again at once. Instead the run starts with
 * healthy traffic, which resolves it by itself, and the incident waits for that.
 */
async function openLeftovers(ruleId) {
	const open = [];
	for (const status of ["active", "acknowledged"]) {
		const res = await userCall("GET", `/alerting/alerts?rule_id=${encodeURIComponent(ruleId)}&status=${status}&limit=50`);
		open.push(...(res.body?.alerts ?? []));
	}
	return open;
}

// ───────────────────────────── traffic model ─────────────────────────────

const rand = Math.random;
const pick = (list) => list[Math.floor(rand() * list.length)];
function gauss() {
	let u = 0;
	while (u === 0) u = rand();
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
/** A count with Poisson-like spread around `mean`. */
const around = (mean) => Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss()));
function weighted(items) {
	const total = items.reduce((s, it) => s + it.w, 0);
	let r = rand() * total;
	for (const it of items) if ((r -= it.w) <= 0) return it;
	return items[items.length - 1];
}
const round1 = (x) => Math.round(x * 10) / 10;

/**
 * Per endpoint: weight, method, median latency (ms) and log-normal spread,
 * the share of 4xx (with the statuses it uses) and of 5xx in normal times.
 */
const E = (source, method, endpoint, w, p50, sigma, e4 = 0, s4 = [400], e5 = 0.001) => ({ source, method, endpoint, w, p50, sigma, e4, s4, e5 });
const ENDPOINTS = [
	E("api-gateway", "GET", "/v1/config", 6, 6, 0.35, 0.002, [404]),
	E("api-gateway", "GET", "/v1/me", 8, 14, 0.45, 0.03, [401]),
	E("api-gateway", "GET", "/v1/feature-flags", 4, 9, 0.4),
	E("catalog", "GET", "/v1/products", 14, 38, 0.55, 0.005, [400]),
	E("catalog", "GET", "/v1/products/:id", 18, 22, 0.5, 0.04, [404]),
	E("catalog", "GET", "/v1/categories/:slug", 6, 30, 0.5, 0.02, [404]),
	E("catalog", "GET", "/v1/products/:id/reviews", 4, 65, 0.7, 0.01, [404]),
	E("search", "GET", "/v1/search", 12, 85, 0.6, 0.01, [400, 422]),
	E("search", "GET", "/v1/search/suggest", 10, 18, 0.45, 0.005, [400]),
	E("auth", "POST", "/v1/auth/login", 3, 120, 0.3, 0.08, [401, 401, 401, 429]),
	E("auth", "POST", "/v1/auth/refresh", 5, 25, 0.4, 0.02, [401]),
	E("auth", "POST", "/v1/auth/logout", 1, 12, 0.4),
	E("checkout", "GET", "/v1/cart", 7, 28, 0.45, 0.005, [404], 0.002),
	E("checkout", "POST", "/v1/cart/items", 4, 45, 0.5, 0.03, [409, 422], 0.002),
	E("checkout", "POST", "/v1/checkout", 2.5, 180, 0.5, 0.02, [422, 409], 0.002),
	E("checkout", "POST", "/v1/payments", 2, 320, 0.45, 0.03, [402, 402, 422], 0.002),
	E("checkout", "GET", "/v1/orders/:id", 3.5, 35, 0.45, 0.01, [404], 0.002),
];
const SERVICES = [...new Set(ENDPOINTS.map((e) => e.source))];
const REGIONS = [
	{ w: 5, v: "eu-west-1" },
	{ w: 4, v: "us-east-1" },
	{ w: 1.5, v: "ap-southeast-1" },
];
const VERSIONS = { "api-gateway": "1.42.0", catalog: "3.8.1", search: "2.2.7", auth: "5.0.3", checkout: "2.13.4" };
const BAD_VERSION = "2.14.0";
const ERRORS = {
	"api-gateway": [["UpstreamConnectionReset", "upstream connection reset by peer", "warning"]],
	catalog: [["ProductIndexStale", "product index is 4 minutes behind", "warning"], ["CacheMissStorm", "cache hit ratio dropped under 60%", "warning"]],
	search: [["ElasticsearchTimeout", "search cluster did not answer within 800 ms", "error"]],
	auth: [["TokenSignatureInvalid", "refresh token signature did not verify", "warning"]],
	checkout: [["InventoryReservationFailed", "could not reserve stock for 1 item", "error"]],
};
const INCIDENT_ERRORS = [
	["PaymentProviderTimeout", "payment provider did not answer within 3000 ms", "critical"],
	["DbPoolExhausted", "connection pool exhausted (50/50 in use) after 2.14.0 deploy", "error"],
];
const ACTIONS = ["page_view", "page_view", "page_view", "search", "view_product", "view_product", "add_to_cart", "begin_checkout", "purchase", "sign_in"];
const USERS = Array.from({ length: 180 }, (_, i) => ({ id: `user_${(1000 + i * 37).toString(36)}`, session: `sess_${randomUUID().slice(0, 12)}` }));
const CHECKOUT_WEIGHT = ENDPOINTS.filter((e) => e.source === "checkout").reduce((s, e) => s + e.w, 0);
/** During the incident checkout fails and its clients retry: 2.5x its usual volume. */
const STORM = 2.5;

const runId = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
let seq = 0;
const nextId = () => `demo-${runId}-${(seq++).toString(36)}`;

function latency(ep) {
	let ms = ep.p50 * Math.exp(ep.sigma * gauss());
	if (rand() < 0.006) ms *= 5 + rand() * 15; // a slow outlier: GC pause, cold cache, lock wait
	return round1(ms);
}

function statusOf(ep, incident) {
	const e5 = incident && ep.source === "checkout" ? (ep.endpoint === "/v1/checkout" || ep.endpoint === "/v1/payments" ? 0.9 : 0.75) : ep.e5;
	const r = rand();
	if (r < e5) return pick(incident ? [502, 503, 503, 504, 500] : [500, 502, 503]);
	if (r < e5 + ep.e4) return pick(ep.s4);
	return ep.method === "POST" && (ep.endpoint === "/v1/cart/items" || ep.endpoint === "/v1/checkout") ? 201 : 200;
}

function base(source, user, at) {
	return {
		event_id: nextId(),
		timestamp: new Date(at).toISOString(),
		source,
		user_id: user.id,
		session_id: user.session,
	};
}

function tagsOf(source, incident) {
	return { region: weighted(REGIONS).v, version: source === "checkout" && incident ? BAD_VERSION : VERSIONS[source], env: "demo" };
}

function apiCall(incident, at) {
	const pool = incident ? ENDPOINTS.map((e) => (e.source === "checkout" ? { ...e, w: e.w * STORM } : e)) : ENDPOINTS;
	const ep = weighted(pool);
	const user = pick(USERS);
	const status = statusOf(ep, incident);
	let ms = latency(ep);
	if (status === 504) ms = round1(3000 + rand() * 1500);
	else if (status === 503) ms = round1(2 + rand() * 6);
	const ev = {
		...base(ep.source, user, at),
		event_type: "api_call",
		severity: status >= 500 ? "error" : status >= 400 ? "warning" : "info",
		endpoint: ep.endpoint,
		method: ep.method,
		status_code: status,
		response_time_ms: ms,
		tags: tagsOf(ep.source, incident),
	};
	if (status >= 500) ev.payload = { error: status === 504 ? "upstream timeout" : "internal error", trace_id: randomUUID().replaceAll("-", "") };
	return ev;
}

function errorEvent(incident, at) {
	const checkoutIncident = incident && rand() < 0.8;
	const source = checkoutIncident ? "checkout" : pick(SERVICES);
	const [type, message, severity] = checkoutIncident ? pick(INCIDENT_ERRORS) : pick(ERRORS[source]);
	return {
		...base(source, pick(USERS), at),
		event_type: "error",
		severity,
		payload: { error_type: type, message, request_id: randomUUID() },
		tags: tagsOf(source, incident),
	};
}

function userAction(at) {
	const user = pick(USERS);
	const action = pick(ACTIONS);
	const payload = { action };
	if (action === "view_product" || action === "add_to_cart") payload.product_id = `sku-${100 + Math.floor(rand() * 400)}`;
	if (action === "search") payload.query = pick(["running shoes", "rain jacket", "headphones", "desk lamp", "coffee"]);
	if (action === "purchase") payload.value_eur = round1(15 + rand() * 180);
	return { ...base("web-app", user, at), event_type: "user_action", severity: "info", payload, tags: { region: weighted(REGIONS).v, platform: pick(["web", "web", "ios", "android"]) } };
}

/** `n` events spread over the last `spanMs`: ~85% api_call, ~12% user_action, ~2% error (more during the incident). */
function generate(n, incident, now, spanMs) {
	const events = [];
	for (let i = 0; i < n; i++) {
		const at = now - Math.floor(rand() * spanMs);
		const r = rand();
		const errorShare = incident ? 0.04 : 0.015;
		events.push(r < errorShare ? errorEvent(incident, at) : r < errorShare + 0.12 ? userAction(at) : apiCall(incident, at));
	}
	return events;
}

function deployEvent(version, kind, now) {
	return {
		event_id: nextId(),
		event_type: "custom",
		timestamp: new Date(now).toISOString(),
		source: "checkout",
		severity: kind === "rollback" ? "warning" : "info",
		payload: { kind, service: "checkout", version, by: kind === "rollback" ? "on-call" : "ci" },
		tags: { env: "demo", version },
	};
}

// ───────────────────────────── run state and output ─────────────────────────────

const stats = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, rateLimited: 0, dropped: 0, retries: 0, batches: 0 };
const state = {
	start: 0,
	phase: "starting",
	stopping: false,
	interrupted: false,
	alert: null,
	firedAt: null,
	resolvedAt: null,
	notified: false,
	acked: false,
	/** open alerts of the rule from an earlier run, waited for before the incident */
	leftovers: [],
	leftoverSince: 0,
	postponedTo: null,
	note: "",
	history: [],
	firstReject: null,
	rateLimitNoted: false,
};
const wakers = new Set();
/** Sleeps `ms`, or less when the demo is stopping. */
function sleep(ms) {
	if (state.stopping) return Promise.resolve();
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(t);
			wakers.delete(done);
			resolve();
		};
		const t = setTimeout(done, ms);
		wakers.add(done);
	});
}
function stop() {
	state.stopping = true;
	for (const w of [...wakers]) w();
}

const elapsed = (at = Date.now()) => Math.max(0, at - state.start) / 1000;
function clock(s) {
	const t = Math.max(0, Math.floor(s));
	const h = Math.floor(t / 3600);
	const m = Math.floor((t % 3600) / 60);
	const sec = String(t % 60).padStart(2, "0");
	return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
const fmt = (n) => n.toLocaleString("en-US");

let progressShown = false;
function clearProgress() {
	if (TTY && progressShown) process.stdout.write("\r\x1b[2K");
	progressShown = false;
}
/** A permanent line (a milestone): above the progress line on a TTY. */
function say(line) {
	clearProgress();
	process.stdout.write(`${line}\n`);
	if (TTY && !opts.quiet && state.phase !== "starting" && !state.stopping) drawProgress();
}
const milestone = (text) => say(`${dim(`[${clock(elapsed())}]`)} ${text}`);

function rate() {
	const now = Date.now();
	state.history = state.history.filter((h) => now - h.at <= 5_000);
	const first = state.history[0];
	if (!first || now - first.at < 900) return stats.accepted / Math.max(1, elapsed());
	return (stats.accepted - first.accepted) / ((now - first.at) / 1000);
}

function alertText() {
	if (state.resolvedAt !== null) return green(`alert resolved at ${clock(state.resolvedAt)}`);
	if (state.firedAt !== null) return red(bold(`alert FIRING since ${clock(state.firedAt)}`));
	return "alert: ok";
}

function progressLine() {
	const parts = [
		clock(elapsed()),
		`sent ${fmt(stats.sent)}`,
		`accepted ${fmt(stats.accepted + stats.duplicates)}`,
		`${rate().toFixed(1)} ev/s`,
		state.phase.startsWith("incident") ? yellow(state.phase) : state.phase,
		alertText(),
	];
	if (state.note) parts.push(yellow(state.note));
	return parts.join("  │  ");
}

function drawProgress() {
	if (opts.quiet) return;
	if (TTY) {
		let line = progressLine();
		const width = process.stdout.columns || 120;
		// Never wrap: a wrapped line cannot be redrawn with \r.
		const visible = line.replace(/\x1b\[[0-9;]*m/g, "");
		if (visible.length >= width) line = `${visible.slice(0, width - 2)}…`;
		process.stdout.write(`\r\x1b[2K${line}`);
		progressShown = true;
	} else {
		process.stdout.write(`${progressLine()}\n`);
	}
}

// ───────────────────────────── sending ─────────────────────────────

const BATCH_EVERY_MS = 500;
const MAX_QUEUE = 20_000;
const queue = [];
let pausedUntil = 0;
/** Events sent at least once: "sent" counts each event once, however often a rate-limited one goes out again. */
const sentOnce = new WeakSet();
function countSent(events) {
	for (const ev of events) {
		if (sentOnce.has(ev)) continue;
		sentOnce.add(ev);
		stats.sent++;
	}
}

function enqueue(events) {
	queue.push(...events);
	if (queue.length > MAX_QUEUE) {
		const over = queue.length - MAX_QUEUE;
		queue.splice(0, over);
		stats.dropped += over;
	}
}

/**
 * Sends up to 1,000 queued events as one batch; the same batch (same
 * event_ids, so a batch that did arrive comes back as duplicates) is sent
 * again on a network error or a 5xx, with backoff. 429: waits Retry-After;
 * items answered rate_limited go back to the front of the queue.
 */
async function sendBatch(apiKey) {
	const events = queue.splice(0, 1000);
	if (events.length === 0) return;
	let delay = 500;
	let failingSince = null;
	for (let attempt = 1; ; attempt++) {
		let res;
		try {
			res = await request("POST", "/ingestion/events/batch", { body: { events }, key: apiKey, timeoutMs: 15_000 });
		} catch (err) {
			res = { network: err.message };
		}
		if (res.status === 200) {
			stats.batches++;
			countSent(events);
			const back = [];
			for (const r of res.body.results ?? []) {
				if (r.status === "accepted") stats.accepted++;
				else if (r.status === "duplicate") stats.duplicates++;
				else if (r.status === "rejected") {
					stats.rejected++;
					state.firstReject ??= { event: events[r.index], errors: r.errors };
				} else if (r.status === "rate_limited") back.push(events[r.index]);
			}
			if (back.length) {
				stats.rateLimited += back.length;
				queue.unshift(...back);
				pauseForLimit(res.headers);
			}
			state.note = "";
			return;
		}
		if (res.status === 429) {
			stats.rateLimited += events.length;
			queue.unshift(...events);
			pauseForLimit(res.headers);
			return;
		}
		if (res.status === 401 || res.status === 403) {
			clearProgress();
			fail(
				res.status === 401
					? "\nThe demo's API key was refused (401): it was revoked, most likely by another `npm run demo` on the same tenant (each run revokes the previous run's key). Run one demo at a time, or use --slug."
					: `\nIngestion was refused (403): ${errorText(res)} (is the tenant suspended, or the key not allowed to ingest?)`,
			);
		}
		if (res.status && res.status < 500 && res.status !== 408) {
			// A 4xx other than the above: the batch itself is wrong; retrying would not help.
			countSent(events);
			stats.rejected += events.length;
			state.firstReject ??= { status: res.status, message: errorText(res), details: res.body?.error?.details };
			return;
		}
		// Network error, timeout or 5xx: retry the same batch.
		failingSince ??= Date.now();
		stats.retries++;
		state.note = res.network ? `server unreachable (${res.network}), retrying` : `server answered ${res.status}, retrying`;
		if (!opts.quiet) drawProgress();
		if (Date.now() - failingSince > 60_000) {
			queue.unshift(...events);
			clearProgress();
			fail(`\nLost PulseStream at ${BASE} for over a minute (${res.network ?? `HTTP ${res.status}`}). Is \`npm run dev\` still running?`);
		}
		if (state.stopping && attempt >= 3) {
			queue.unshift(...events);
			return;
		}
		await sleep(delay);
		delay = Math.min(delay * 2, 8_000);
	}
}

function pauseForLimit(headers) {
	const retry = Number(headers.get("retry-after") ?? headers.get("x-ratelimit-reset") ?? 5);
	pausedUntil = Date.now() + Math.max(1, Number.isFinite(retry) ? retry : 5) * 1000;
	const limit = headers.get("x-ratelimit-limit");
	state.note = `rate limited${limit ? ` (${fmt(Number(limit))} events/min)` : ""}: waiting ${Math.ceil((pausedUntil - Date.now()) / 1000)} s`;
	if (!state.rateLimitNoted) {
		state.rateLimitNoted = true;
		milestone(yellow(`The tenant's rate limit${limit ? ` of ${fmt(Number(limit))} events per minute` : ""} is reached: held-back events are sent again after the window resets (lower --rate, or raise it with PATCH /api/v1/tenant).`));
	}
}

/** When the checkout burst starts (seconds into the run); null while an earlier run's alert is still open. */
function incidentStart() {
	if (opts["incident-at"] < 0) return Infinity;
	if (state.leftovers.length === 0) return opts["incident-at"];
	return null;
}

/** Phases of the story; `incident` is the checkout 5xx burst. */
function phaseAt(s) {
	const at = incidentStart();
	if (at === null || s < at) return "normal traffic";
	const end = at + opts["incident-duration"];
	if (s < end) return "incident: checkout 5xx burst";
	if (state.resolvedAt === null && state.firedAt !== null) return "recovering";
	if (state.firedAt === null && s < end + 75) return "recovering";
	return "normal traffic";
}

async function sender(apiKey) {
	let last = Date.now() - BATCH_EVERY_MS;
	let lastLine = 0;
	while (!state.stopping) {
		const now = Date.now();
		const s = elapsed(now);
		if (opts.duration > 0 && s >= opts.duration) break;
		const phase = phaseAt(s);
		if (phase !== state.phase) onPhase(state.phase, phase, now);
		const incident = phase.startsWith("incident");
		const span = Math.max(1, now - last);
		// A slow swell of the traffic (±15% over 40 s) so the chart is not flat.
		const swell = 1 + 0.15 * Math.sin((2 * Math.PI * s) / 40);
		const checkoutExtra = incident ? 1 + ((STORM - 1) * CHECKOUT_WEIGHT) / ENDPOINTS.reduce((x, e) => x + e.w, 0) : 1;
		enqueue(generate(around((opts.rate * swell * checkoutExtra * span) / 1000), incident, now, span));
		last = now;
		if (Date.now() >= pausedUntil) {
			// Up to 1,000 events a batch; a high --rate (or a backlog after a pause) takes a few.
			for (let i = 0; i < 4 && queue.length && Date.now() >= pausedUntil && !state.stopping; i++) await sendBatch(apiKey);
		} else state.note = `rate limited: waiting ${Math.ceil((pausedUntil - Date.now()) / 1000)} s`;
		state.history.push({ at: Date.now(), accepted: stats.accepted + stats.duplicates });
		if (TTY || Date.now() - lastLine >= 5_000) {
			drawProgress();
			lastLine = Date.now();
		}
		await sleep(Math.max(0, BATCH_EVERY_MS - (Date.now() - now)));
	}
	// What was generated but not sent yet (the last tick, held-back events) goes out once more.
	if (queue.length && Date.now() >= pausedUntil && !state.interrupted) await sendBatch(apiKey);
}

function onPhase(from, to, now) {
	state.phase = to;
	if (to.startsWith("incident")) {
		enqueue([deployEvent(BAD_VERSION, "deploy", now)]);
		milestone(yellow(`checkout ${BAD_VERSION} is deployed: checkout starts failing (5xx), its clients retry. Burst for ${opts["incident-duration"]} s.`));
	} else if (to === "recovering") {
		enqueue([deployEvent(VERSIONS.checkout, "rollback", now)]);
		milestone(`checkout is rolled back to ${VERSIONS.checkout}: errors stop. ${state.firedAt !== null ? "The alert resolves itself once the rule's 60 s window has slid past the burst (about a minute)." : "Recovering."}`);
	} else if (to === "normal traffic" && from === "recovering") {
		milestone(green("back to normal traffic"));
	}
}

// ───────────────────────────── alert polling ─────────────────────────────

async function watchAlerts(ruleId) {
	let lastNotificationCheck = 0;
	while (!state.stopping) {
		if (state.leftovers.length) await pollLeftovers();
		await pollAlert(ruleId);
		if (state.alert && !state.notified && Date.now() - lastNotificationCheck > 2_000) {
			lastNotificationCheck = Date.now();
			await pollNotification();
		}
		await sleep(2_000);
	}
}

/** Drops earlier runs' alerts once resolved; after 90 s (something else keeps checkout failing?) resolves them by hand. */
async function pollLeftovers() {
	const still = [];
	for (const a of state.leftovers) {
		const res = await userCall("GET", `/alerting/alerts/${encodeURIComponent(a.id)}`).catch(() => null);
		if (!res || res.status !== 200 || res.body.status === "resolved") continue;
		if (Date.now() - state.leftoverSince > 90_000) {
			await userCall("POST", `/alerting/alerts/${encodeURIComponent(a.id)}/resolve`, { note: "npm run demo: resolved the alert an earlier run left open" }).catch(() => null);
			continue;
		}
		still.push(a);
	}
	if (still.length === 0) {
		state.leftovers = [];
		const s = elapsed();
		// Postpone the incident so that it starts a few seconds after the earlier alert resolved.
		if (opts["incident-at"] >= 0 && s + 5 > opts["incident-at"]) {
			opts["incident-at"] = Math.ceil(s + 5);
			state.postponedTo = opts["incident-at"];
		}
		milestone(green(`the earlier run's alert is resolved${state.postponedTo !== null ? `; this run's incident starts at ${clock(opts["incident-at"])}` : ""}`));
	} else {
		state.leftovers = still;
	}
}

async function pollAlert(ruleId) {
	let res;
	try {
		res = await userCall("GET", `/alerting/alerts?rule_id=${encodeURIComponent(ruleId)}&limit=5`);
	} catch {
		return; // the sender reports an unreachable server
	}
	if (res.status !== 200) return;
	// This run's alert: the newest one opened since the run began.
	const mine = (res.body.alerts ?? [])
		.filter((a) => Date.parse(a.triggered_at) >= state.start - 1_000)
		.sort((a, b) => Date.parse(b.triggered_at) - Date.parse(a.triggered_at))[0];
	if (!mine) return;
	if (state.alert?.id !== mine.id) {
		state.alert = mine;
		state.firedAt = elapsed(Date.parse(mine.triggered_at));
		state.resolvedAt = null;
		state.notified = false;
		const value = typeof mine.value === "number" ? `error_rate ${mine.value.toFixed(2)} > ${mine.threshold}` : "";
		milestone(red(bold(`ALERT FIRED at ${clock(state.firedAt)}: "${mine.rule_name}" (${mine.severity}) ${value}`)) + `  →  see it on ${cyan(`${BASE}/dashboard`)}`);
	}
	state.alert = mine;
	if (mine.status === "resolved" && state.resolvedAt === null) {
		state.resolvedAt = elapsed(Date.parse(mine.resolved_at ?? new Date().toISOString()));
		milestone(green(`alert resolved at ${clock(state.resolvedAt)} (auto-resolve: checkout's error rate is back under 0.1)`));
	} else if (mine.status === "acknowledged" && !state.acked) {
		state.acked = true;
		milestone(`alert acknowledged by ${mine.acknowledged_by ?? "someone"}`);
	}
}

async function pollNotification() {
	const res = await userCall("GET", `/alerting/notifications?alert_id=${encodeURIComponent(state.alert.id)}`).catch(() => null);
	const n = res?.body?.notifications?.find((x) => x.kind === "triggered");
	if (!n || n.status === "pending") return;
	state.notified = true;
	if (n.status === "delivered") {
		milestone(`email notification to ${opts.email}: delivered ${dim("(npm run dev without EMAIL_API_URL writes emails to its log)")}`);
	} else if (n.status === "silenced") {
		milestone(`email notification to ${opts.email}: silenced (a silence matches the rule)`);
	} else {
		milestone(yellow(`email notification to ${opts.email}: ${n.status}${n.last_error ? ` (${n.last_error})` : ""}`));
	}
}

// ───────────────────────────── main ─────────────────────────────

async function main() {
	await checkServer();
	const { created, apiKey, keyNote } = await tenantAndKey();
	const { rule, change } = await alertRule();
	state.leftovers = await openLeftovers(rule.id);

	const c = rule.condition;
	const op = { gt: ">", gte: "≥", lt: "<", lte: "≤" }[c.operator] ?? c.operator;
	const incidentAt = opts["incident-at"];
	const plan = [
		`normal traffic at ~${opts.rate} events/s`,
		...(incidentAt >= 0 && (opts.duration === 0 || incidentAt < opts.duration)
			? [
					`${state.leftovers.length ? "once an earlier run's alert has resolved (~1 min)" : clock(incidentAt)} checkout 5xx burst for ${opts["incident-duration"]} s`,
					"recovery (the alert resolves ~1 min after the burst)",
				]
			: []),
	];
	const line = "─".repeat(72);
	console.log(`
${bold("PulseStream demo")}  ${dim(`(${created ? "created" : "signed in to"} tenant "${opts.slug}")`)}
${line}
  Dashboard   ${cyan(`${BASE}/dashboard`)}
  Tenant      ${bold(opts.slug)}   (Demo Shop)
  Email       ${bold(opts.email)}
  Password    ${bold(opts.password)}   ${dim("(a fixed password for this local demo: never use it for anything real)")}
  API key     ${apiKey}   ${dim(`(${keyNote})`)}
${line}
  Alert rule  "${rule.name}" ${dim(`(${change})`)}: ${c.metric} ${op} ${c.threshold} over ${c.window_seconds} s, source=${c.filter?.source}, ${rule.severity}
              notifies ${opts.email} by email
  Plan        ${plan.join(" → ")}; ${opts.duration > 0 ? `stops after ${clock(opts.duration)}` : "runs until Ctrl-C"} (Ctrl-C stops early)
  Try         curl -s -H 'X-API-Key: ${apiKey}' ${BASE}/api/v1/ingestion/stats
${line}`);

	state.start = Date.now();
	state.phase = "normal traffic";
	milestone(`sending traffic from ${SERVICES.join(", ")} and web-app (user actions)`);
	if (state.leftovers.length) {
		state.leftoverSince = Date.now();
		milestone(
			yellow(
				`An alert from an earlier run (opened ${new Date(state.leftovers[0].triggered_at).toLocaleTimeString()}) is still open; healthy traffic resolves it by itself ` +
					"once the rule's 60 s window has slid past that run's burst. This run's incident waits for it.",
			),
		);
	}
	const watcher = watchAlerts(rule.id);
	await sender(apiKey);
	stop();
	await watcher;
	if (!state.interrupted) await pollAlert(rule.id);
	await summary(rule);
}

async function summary(rule) {
	clearProgress();
	const took = elapsed();
	const server = await userCall("GET", "/ingestion/stats").catch(() => null);
	const lines = [
		"",
		bold(`Demo ${state.interrupted ? "stopped" : "finished"} after ${clock(took)}.`),
		`  events      sent ${fmt(stats.sent)} · accepted ${fmt(stats.accepted)}${stats.duplicates ? ` · duplicates ${fmt(stats.duplicates)} (retried batches, stored once)` : ""} · rejected ${fmt(stats.rejected)} · rate-limited answers ${fmt(stats.rateLimited)}${stats.dropped ? ` · dropped ${fmt(stats.dropped)}` : ""}${queue.length ? ` · ${fmt(queue.length)} generated but not sent (held back by the rate limit)` : ""} · ${(stats.accepted / Math.max(1, took)).toFixed(1)} events/s`,
	];
	if (server?.status === 200) {
		lines.push(`  server      total_events ${fmt(server.body.total_events)} for tenant "${opts.slug}" (last minute ${fmt(server.body.events_last_minute)})`);
	}
	if (state.firedAt !== null) {
		lines.push(
			`  alert       "${rule.name}" fired at ${clock(state.firedAt)}${state.resolvedAt !== null ? `, resolved at ${clock(state.resolvedAt)}` : ` and is ${state.alert?.status ?? "active"} (it resolves itself about a minute after the burst)`}`,
		);
	} else if (opts["incident-at"] >= 0 && took > opts["incident-at"] + opts["incident-duration"]) {
		lines.push(yellow(`  alert       "${rule.name}" did not fire during this run (is the rule enabled? see ${BASE}/api/v1/alerting/rules)`));
	} else if (opts["incident-at"] < 0) {
		lines.push(`  alert       no incident in this run (--incident-at ${opts["incident-at"]})`);
	} else {
		lines.push(`  alert       "${rule.name}" did not fire: the run ended before the incident was over`);
	}
	if (state.firstReject) lines.push(yellow(`  note        some events were rejected, e.g. ${JSON.stringify(state.firstReject).slice(0, 300)}`));
	lines.push(`  The data stays: open ${cyan(`${BASE}/dashboard`)} and sign in with tenant ${bold(opts.slug)}, ${bold(opts.email)}, password ${bold(opts.password)}.`);
	console.log(lines.join("\n"));
}

for (const signal of ["SIGINT", "SIGTERM"]) {
	process.on(signal, () => {
		if (state.stopping || state.start === 0) {
			clearProgress();
			process.exit(130);
		}
		state.interrupted = true;
		stop();
	});
}

main().catch((err) => {
	clearProgress();
	if (err instanceof NetworkError) fail(`\nLost PulseStream at ${BASE} (${err.message}). Is \`npm run dev\` still running?`);
	fail(`\nThe demo failed: ${err?.stack ?? err}`);
});
