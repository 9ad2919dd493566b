#!/usr/bin/env node
// `npm run bench`: starts PulseStream and an empty Hono Worker side by side on
// the same wrangler, drives both with wrk on loopback, and prints figures and
// ratios. A benchmark, not a test: compare ratios within one run only.
//
// Env: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2).
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const state = join(root, ".bench", "state");
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const children = [];

function fail(message) {
	console.error(`bench: ${message}`);
	for (const child of children) child.kill("SIGTERM");
	process.exit(1);
}

if (spawnSync("wrk", ["--version"]).error) {
	fail("wrk is not installed (Debian: apt-get install -y wrk)");
}

function startWorker(name, args, port) {
	const child = spawn(wrangler, ["dev", "--port", String(port), "--inspector-port", String(port + 1000), "--ip", "127.0.0.1", "--log-level", "error", ...args], {
		cwd: root,
		env: { ...process.env, CI: "true" },
		stdio: ["ignore", "ignore", "pipe"],
	});
	let stderr = "";
	child.stderr.on("data", (d) => (stderr += d));
	child.on("exit", (code) => code && code !== 143 && console.error(`${name} exited ${code}\n${stderr}`));
	if (process.env.BENCH_DEBUG) child.stderr.on("data", (d) => process.stderr.write(`[${name}] ${d}`));
	children.push(child);
	return child;
}

async function waitReady(url) {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		try {
			if ((await fetch(url)).ok) return;
		} catch {}
		await new Promise((r) => setTimeout(r, 250));
	}
	fail(`${url} did not come up`);
}

const script = join(root, "bench", "events.lua");

function wrk(url, env) {
	const out = spawnSync(
		"wrk",
		["-t", String(threads), "-c", String(connections), "-d", `${seconds}s`, "--latency", "-s", script, url],
		{ env: { ...process.env, ...env }, encoding: "utf8" },
	);
	if (out.status !== 0) fail(`wrk failed: ${out.stderr}`);
	const text = out.stdout;
	const num = (re) => Number((re.exec(text) ?? [])[1] ?? 0);
	const ms = (label) => {
		const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
		if (!m) return NaN;
		return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
	};
	const requests = num(/(\d+) requests in/);
	const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
	const errors = /Socket errors: (.*)/.exec(text)?.[1];
	const duration = num(/requests in ([\d.]+)s/) || seconds;
	return { requests, ok: requests - non2xx, non2xx, errors, perSecond: (requests - non2xx) / duration, p50: ms(50), p99: ms(99) };
}

async function json(url, init, attempt = 0) {
	let res;
	try {
		res = await fetch(url, init);
	} catch (err) {
		// A pooled keep-alive connection may be closed under us after heavy load; retry once on a new one.
		if (attempt < 3) return json(url, init, attempt + 1);
		throw err;
	}
	const body = await res.json();
	if (!res.ok) fail(`${init?.method ?? "GET"} ${url}: ${res.status} ${JSON.stringify(body)}`);
	return body;
}

// ---------------------------------------------------------------------------
const appPort = 8790;
const emptyPort = 8791;
if (existsSync(state)) rmSync(state, { recursive: true, force: true });
const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
	cwd: root,
	env: { ...process.env, CI: "true" },
	encoding: "utf8",
});
if (migrate.status !== 0) fail(`migrations failed: ${migrate.stderr}`);

// The shipped defaults (wrangler.toml: LOG_LEVEL, FLUSH_DELAY_MS), as npm run dev runs it.
startWorker("pulsestream", ["--persist-to", state, "--var", "ENVIRONMENT:development"], appPort);
startWorker("empty worker", ["--config", "bench/empty-worker/wrangler.toml"], emptyPort);
const app = `http://127.0.0.1:${appPort}`;
const empty = `http://127.0.0.1:${emptyPort}`;
await Promise.all([waitReady(`${app}/health`), waitReady(`${empty}/`)]);

// A webhook receiver on loopback: alert deliveries are timed from here.
const received = new Map();
const receiver = createServer((req, res) => {
	let body = "";
	req.on("data", (d) => (body += d));
	req.on("end", () => {
		try {
			const payload = JSON.parse(body);
			if (payload.type === "alert.triggered" && !received.has(payload.alert.rule_id)) received.set(payload.alert.rule_id, Date.now());
		} catch {}
		res.writeHead(200).end("ok");
	});
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

async function tenant(name) {
	const slug = `bench-${name}-${Date.now().toString(36)}`;
	const reg = await json(`${app}/api/v1/auth/register/tenant`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ name: `Bench ${name}`, slug, email: "bench@example.test", password: "benchmark-password" }),
	});
	// The default limit (10,000/min) would cap the run; lift it for the tenant.
	await json(`${app}/api/v1/tenant`, {
		method: "PATCH",
		headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.access_token}` },
		body: JSON.stringify({ rate_limit_per_minute: 10_000_000 }),
	});
	const post = (path, body) =>
		json(`${app}/api/v1${path}`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.access_token}` },
			body: JSON.stringify(body),
		});
	return { ...reg, post };
}

const plain = await tenant("plain");
const ruled = await tenant("rules");
// 20 enabled rules on the bench traffic: 5 filters (none, source, endpoint, method, source+method)
// x 4 conditions (error rate, p95, p99, a heartbeat), none of which the traffic breaches.
const channel = await ruled.post("/alerting/channels", { name: "bench receiver", type: "webhook", config: { url: receiverUrl } });
const filters = [undefined, { source: "bench" }, { endpoint: "/v1/orders/{id}" }, { method: "GET" }, { source: "bench", method: "GET" }];
const conditions = [
	{ metric: "error_rate", operator: "gt", threshold: 0.9 },
	{ metric: "latency_p95", operator: "gt", threshold: 1_000_000 },
	{ metric: "latency_p99", operator: "gt", threshold: 1_000_000 },
	{ metric: "event_count", operator: "lt", threshold: 1 },
];
for (const filter of filters) {
	for (const c of conditions) {
		await ruled.post("/alerting/rules", {
			name: `${c.metric} ${JSON.stringify(filter ?? {})}`,
			severity: "warning",
			condition: { ...c, window_seconds: 300, ...(filter ? { filter } : {}) },
			channel_ids: [channel.id],
		});
	}
}

const single = "/api/v1/ingestion/events";
const batchPath = "/api/v1/ingestion/events/batch";

console.log(`wrk -t${threads} -c${connections} -d${seconds}s on loopback; wrangler dev (workerd) for both Workers`);
console.log("PulseStream figures are the mean of two runs (A B B A order, buffers drained in between)\n");
// Warm both up briefly so neither pays its first-request costs in the figures.
for (const [url, key] of [[`${empty}${single}`, plain.api_key.key], [`${app}${single}`, plain.api_key.key], [`${app}${single}`, ruled.api_key.key]]) {
	spawnSync("wrk", ["-t1", "-c4", "-d2s", "-s", script, url], { env: { ...process.env, PS_KEY: key, PS_RUN: `warm-${key.slice(-4)}` } });
}

const plainEnv = { PS_KEY: plain.api_key.key };
const ruledEnv = { PS_KEY: ruled.api_key.key };

/** Waits until a tenant's buffer is in D1 (locally D1 shares the thread: a backlog would slow the next run). */
async function drained(t, since) {
	const headers = { "X-API-Key": t.api_key.key };
	let stats = await json(`${app}/api/v1/ingestion/stats`, { headers });
	while (stats.pending_flush > 0 && Date.now() - since < 60_000) {
		await new Promise((r) => setTimeout(r, 100));
		stats = await json(`${app}/api/v1/ingestion/stats`, { headers });
	}
	return stats;
}
async function settled(run) {
	const result = run();
	const ended = Date.now();
	await drained(plain, ended);
	await drained(ruled, ended);
	return result;
}
// A B B A: local D1 shares the thread and slows as its events table grows, so a later run is
// slower; each side runs once early and once late, and the figure is the mean of the two.
const mean = (a, b) => ({ ...a, perSecond: (a.perSecond + b.perSecond) / 2, p50: (a.p50 + b.p50) / 2, p99: Math.max(a.p99, b.p99), non2xx: a.non2xx + b.non2xx, errors: a.errors ?? b.errors });
async function abba(path, batchSize, tag) {
	const extra = batchSize ? { PS_BATCH: String(batchSize) } : {};
	const a1 = await settled(() => wrk(`${app}${path}`, { ...plainEnv, ...extra, PS_RUN: `${tag}-a1` }));
	const b1 = await settled(() => wrk(`${app}${path}`, { ...ruledEnv, ...extra, PS_RUN: `${tag}-b1` }));
	const b2 = await settled(() => wrk(`${app}${path}`, { ...ruledEnv, ...extra, PS_RUN: `${tag}-b2` }));
	const a2 = await settled(() => wrk(`${app}${path}`, { ...plainEnv, ...extra, PS_RUN: `${tag}-a2` }));
	return [mean(a1, a2), mean(b1, b2)];
}
const base = wrk(`${empty}${single}`, { ...plainEnv, PS_RUN: "empty" });
const [ours, oursRules] = await abba(single, 0, "single");
const baseBatch = wrk(`${empty}${batchPath}`, { ...plainEnv, PS_RUN: "ebatch", PS_BATCH: "500" });
const [batch, batchRules] = await abba(batchPath, 500, "batch");
const runEnded = Date.now();
if (process.env.BENCH_DEBUG) console.log({ base, ours, oursRules, baseBatch, batch, batchRules });

// Every accepted event must be in D1 within 5 s of the last run.
const stats = await drained(plain, runEnded);
const statsRules = await drained(ruled, runEnded);
const drainedMs = Date.now() - runEnded;
const count = spawnSync(
	wrangler,
	["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", `SELECT count(*) AS n FROM events WHERE tenant_id IN ('${plain.tenant.id}', '${ruled.tenant.id}')`],
	{ cwd: root, env: { ...process.env, CI: "true" }, encoding: "utf8" },
);
let inD1 = NaN;
try {
	inD1 = JSON.parse(count.stdout)[0].results[0].n;
} catch {
	console.error(count.stderr);
}

// Breach to webhook: one probe rule per sample (its own source), so each sample opens a fresh alert.
const PROBES = 20;
const probeRules = [];
for (let i = 0; i < PROBES; i++) {
	const r = await ruled.post("/alerting/rules", {
		name: `probe ${i}`,
		severity: "critical",
		condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60, filter: { source: `probe-${i}` } },
		channel_ids: [channel.id],
	});
	probeRules.push(r.id);
}
const latencies = [];
for (let i = 0; i < PROBES; i++) {
	const sent = Date.now();
	await json(`${app}${single}`, {
		method: "POST",
		headers: { "Content-Type": "application/json", "X-API-Key": ruled.api_key.key },
		body: JSON.stringify({ event_type: "error", source: `probe-${i}` }),
	});
	while (!received.has(probeRules[i]) && Date.now() - sent < 15_000) await new Promise((r) => setTimeout(r, 5));
	latencies.push(received.has(probeRules[i]) ? received.get(probeRules[i]) - sent : Infinity);
	// Spread the probes so each meets the object in a different moment of its one-second cadence.
	await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
}
latencies.sort((a, b) => a - b);
const pct = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];

const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (name, r, unit = "req/s") =>
	`${name.padEnd(34)} ${f(r.perSecond).padStart(9)} ${unit}   p50 ${f(r.p50, 2).padStart(7)} ms   p99 ${f(r.p99, 2).padStart(7)} ms${r.non2xx ? `   (${r.non2xx} non-2xx)` : ""}${r.errors ? `   socket errors: ${r.errors}` : ""}`;

console.log(row("empty Worker, single", base));
console.log(row("PulseStream, single event accepted", ours));
console.log(`  ratio to the empty Worker: ${f(ours.perSecond / base.perSecond, 2)}x   (target >= 0.5x)`);
console.log(row("PulseStream, single, 20 rules", oursRules));
console.log(`  ratio to the same without rules: ${f(oursRules.perSecond / ours.perSecond, 2)}x   (target >= 0.9x)\n`);
const ev = (r) => ({ ...r, perSecond: r.perSecond * 500 });
console.log(row("empty Worker, batch of 500", ev(baseBatch), "ev/s "));
console.log(row("PulseStream, batch of 500", ev(batch), "ev/s "));
console.log(`  ratio to the empty Worker: ${f(batch.perSecond / baseBatch.perSecond, 2)}x   (target >= 50,000 events/s)`);
console.log(row("PulseStream, batch of 500, 20 rules", ev(batchRules), "ev/s "));
console.log(`  ratio to the same without rules: ${f(batchRules.perSecond / batch.perSecond, 2)}x   (target >= 0.9x)\n`);
console.log(
	`accepted in total (stats): ${f(stats.total_events + statsRules.total_events)}   in D1: ${f(inD1)}   buffer drained ${f(drainedMs / 1000, 1)} s after the last run (target <= 5 s)`,
);
console.log(
	`breaching request to webhook (${PROBES} probes): p50 ${f(pct(0.5))} ms   p99 ${f(pct(0.99))} ms   max ${f(latencies.at(-1))} ms   (target p99 < 2,000 ms)`,
);
receiver.close();

for (const child of children) child.kill("SIGTERM");
process.exit(0);
