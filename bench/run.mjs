#!/usr/bin/env node
// `npm run bench`: starts PulseStream and an empty Hono Worker side by side on
// the same wrangler, drives both with wrk on loopback, and prints figures and
// ratios. A benchmark, not a test: compare ratios within one run only.
//
// Env: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2).
import { spawn, spawnSync } from "node:child_process";
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

startWorker("pulsestream", ["--persist-to", state, "--var", "ENVIRONMENT:development", "--var", "LOG_LEVEL:warn"], appPort);
startWorker("empty worker", ["--config", "bench/empty-worker/wrangler.toml"], emptyPort);
const app = `http://127.0.0.1:${appPort}`;
const empty = `http://127.0.0.1:${emptyPort}`;
await Promise.all([waitReady(`${app}/health`), waitReady(`${empty}/`)]);

const slug = `bench-${Date.now().toString(36)}`;
const reg = await json(`${app}/api/v1/auth/register/tenant`, {
	method: "POST",
	headers: { "Content-Type": "application/json" },
	body: JSON.stringify({ name: "Bench", slug, email: "bench@example.test", password: "benchmark-password" }),
});
// The default limit (10,000/min) would cap the run; lift it for the tenant.
await json(`${app}/api/v1/tenant`, {
	method: "PATCH",
	headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.access_token}` },
	body: JSON.stringify({ rate_limit_per_minute: 10_000_000 }),
});
const env = { PS_KEY: reg.api_key.key };
const single = "/api/v1/ingestion/events";

console.log(`wrk -t${threads} -c${connections} -d${seconds}s on loopback; wrangler dev (workerd) for both Workers\n`);
// Warm both up briefly so neither pays its first-request costs in the figures.
for (const url of [`${empty}${single}`, `${app}${single}`]) {
	spawnSync("wrk", ["-t1", "-c4", "-d2s", "-s", script, url], { env: { ...process.env, ...env, PS_RUN: "warm" } });
}

const batchPath = "/api/v1/ingestion/events/batch";
const base = wrk(`${empty}${single}`, { ...env, PS_RUN: "empty" });
const ours = wrk(`${app}${single}`, { ...env, PS_RUN: "single" });
const baseBatch = wrk(`${empty}${batchPath}`, { ...env, PS_RUN: "ebatch", PS_BATCH: "500" });
const batch = wrk(`${app}${batchPath}`, { ...env, PS_RUN: "batch", PS_BATCH: "500" });
const runEnded = Date.now();
if (process.env.BENCH_DEBUG) console.log({ base, ours, baseBatch, batch });

// Every accepted event must be in D1 within 5 s of the run: wait for the buffer to drain.
const headers = { "X-API-Key": reg.api_key.key };
let stats = await json(`${app}/api/v1/ingestion/stats`, { headers });
while (stats.pending_flush > 0 && Date.now() - runEnded < 60_000) {
	await new Promise((r) => setTimeout(r, 100));
	stats = await json(`${app}/api/v1/ingestion/stats`, { headers });
}
const drainedMs = Date.now() - runEnded;
const count = spawnSync(
	wrangler,
	["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", `SELECT count(*) AS n FROM events WHERE tenant_id = '${reg.tenant.id}'`],
	{ cwd: root, env: { ...process.env, CI: "true" }, encoding: "utf8" },
);
let inD1 = NaN;
try {
	inD1 = JSON.parse(count.stdout)[0].results[0].n;
} catch {
	console.error(count.stderr);
}

const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (name, r, unit = "req/s") =>
	`${name.padEnd(34)} ${f(r.perSecond).padStart(9)} ${unit}   p50 ${f(r.p50, 2).padStart(7)} ms   p99 ${f(r.p99, 2).padStart(7)} ms${r.non2xx ? `   (${r.non2xx} non-2xx)` : ""}${r.errors ? `   socket errors: ${r.errors}` : ""}`;

console.log(row("empty Worker, single", base));
console.log(row("PulseStream, single event accepted", ours));
console.log(`  ratio to the empty Worker: ${f(ours.perSecond / base.perSecond, 2)}x   (target >= 0.5x)\n`);
const batchEvents = { ...batch, perSecond: batch.perSecond * 500 };
const baseEvents = { ...baseBatch, perSecond: baseBatch.perSecond * 500 };
console.log(row("empty Worker, batch of 500", baseEvents, "ev/s "));
console.log(row("PulseStream, batch of 500", batchEvents, "ev/s "));
console.log(`  ratio to the empty Worker: ${f(batchEvents.perSecond / baseEvents.perSecond, 2)}x   (target >= 50,000 events/s)\n`);
console.log(`accepted in total (stats): ${f(stats.total_events)}   in D1: ${f(inD1)}   buffer drained ${f(drainedMs / 1000, 1)} s after the run (target <= 5 s)`);

for (const child of children) child.kill("SIGTERM");
process.exit(0);
