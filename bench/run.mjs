#!/usr/bin/env node
// `npm run bench`: starts PulseStream and an empty Hono Worker side by side on
// the same wrangler, drives both with wrk on loopback, and prints figures and
// ratios. A benchmark, not a test: compare ratios within one run only.
//
// Env: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
// BENCH_SOCKETS (1000: dashboard sockets of the socket section),
// BENCH_SOCKET_DEFLATE (0, the default: the client offers no permessage-deflate, so the
// local run matches production, where the Worker refuses it; 1: offer it as browsers do, and
// measure wrangler's and Miniflare's local proxies compressing every frame for every socket),
// BENCH_PACED_RATE (100: events/s of the socket section's paced latency phase),
// BENCH_PACED_SECONDS (15: its length),
// BENCH_ONLY=ingestion|otlp|sockets|metrics (one section only, for quick iterations).
import { spawn, spawnSync } from "node:child_process";
import { Agent, createServer, request as httpRequest } from "node:http";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { MARKER_HEX, bodyTemplate } from "./otlp-body.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const state = join(root, ".bench", "state");
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const sockets = Number(process.env.BENCH_SOCKETS ?? 1000);
const pacedRate = Number(process.env.BENCH_PACED_RATE ?? 100);
const pacedSeconds = Number(process.env.BENCH_PACED_SECONDS ?? 15);
const only = process.env.BENCH_ONLY;
if (only && !["ingestion", "otlp", "sockets", "metrics"].includes(only)) {
	console.error(`bench: BENCH_ONLY is ingestion, otlp, sockets or metrics, not ${only}`);
	process.exit(1);
}
const wrangler = join(root, "node_modules", ".bin", "wrangler");
// The Worker's development operator token (DEV_OPERATOR_TOKEN in src/lib/config.ts, printed by npm run dev).
const DEV_OPERATOR_TOKEN = "pulsestream-development-operator-token-do-not-deploy";
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

const wrkArgs = (url, lua = script) => ["-t", String(threads), "-c", String(connections), "-d", `${seconds}s`, "--latency", "-s", lua, url];

function wrk(url, env, lua = script) {
	const out = spawnSync("wrk", wrkArgs(url, lua), { env: { ...process.env, ...env }, encoding: "utf8" });
	if (out.status !== 0) fail(`wrk failed: ${out.stderr}`);
	return wrkFigures(out.stdout);
}

/** wrk without blocking this process: the socket section's clients must keep reading during the run. */
function wrkAsync(url, env) {
	const child = spawn("wrk", wrkArgs(url), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (d) => (stdout += d));
	child.stderr.on("data", (d) => (stderr += d));
	const done = new Promise((resolve) => child.on("close", (code) => (code === 0 ? resolve(wrkFigures(stdout)) : fail(`wrk failed: ${stderr}`))));
	return Object.assign(done, { pid: child.pid });
}

function wrkFigures(text) {
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
	let body;
	try {
		// A pooled keep-alive connection may be closed under us after heavy load, or left half-open
		// (seen: a stats request that never answered after a batch run): time out and retry on a new one.
		res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
		body = await res.json();
	} catch (err) {
		if (attempt < 3) return json(url, init, attempt + 1);
		throw err;
	}
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
const appChild = startWorker("pulsestream", ["--persist-to", state, "--var", "ENVIRONMENT:development"], appPort);
if (!only || only === "ingestion") startWorker("empty worker", ["--config", "bench/empty-worker/wrangler.toml"], emptyPort);
const app = `http://127.0.0.1:${appPort}`;
const empty = `http://127.0.0.1:${emptyPort}`;
await Promise.all([waitReady(`${app}/health`), ...(!only || only === "ingestion" ? [waitReady(`${empty}/`)] : [])]);

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
	// The default limit (10,000/min) and the plan ceiling (100,000/min) would cap the run: the
	// operator raises the tenant's ceiling and its limit in one PATCH (the largest ceiling there is).
	await json(`${app}/api/v1/operator/tenants/${reg.tenant.id}`, {
		method: "PATCH",
		headers: { "Content-Type": "application/json", Authorization: `Bearer ${DEV_OPERATOR_TOKEN}` },
		body: JSON.stringify({ max_rate_limit_per_minute: 10_000_000, rate_limit_per_minute: 10_000_000 }),
	});
	const post = (path, body) =>
		json(`${app}/api/v1${path}`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.access_token}` },
			body: JSON.stringify(body),
		});
	return { ...reg, post };
}

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
const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (name, r, unit = "req/s") =>
	`${name.padEnd(34)} ${f(r.perSecond).padStart(9)} ${unit}   p50 ${f(r.p50, 2).padStart(7)} ms   p99 ${f(r.p99, 2).padStart(7)} ms${r.non2xx ? `   (${r.non2xx} non-2xx)` : ""}${r.errors ? `   socket errors: ${r.errors}` : ""}`;

const single = "/api/v1/ingestion/events";
const batchPath = "/api/v1/ingestion/events/batch";

console.log(`wrk -t${threads} -c${connections} -d${seconds}s on loopback; wrangler dev (workerd) for both Workers`);

async function ingestionSection() {
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

	console.log("PulseStream figures are the mean of two runs (A B B A order, buffers drained in between)\n");
	// Warm both up briefly so neither pays its first-request costs in the figures.
	for (const [url, key] of [[`${empty}${single}`, plain.api_key.key], [`${app}${single}`, plain.api_key.key], [`${app}${single}`, ruled.api_key.key]]) {
		spawnSync("wrk", ["-t1", "-c4", "-d2s", "-s", script, url], { env: { ...process.env, PS_KEY: key, PS_RUN: `warm-${key.slice(-4)}` } });
	}

	const plainEnv = { PS_KEY: plain.api_key.key };
	const ruledEnv = { PS_KEY: ruled.api_key.key };

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
}

// --- OTLP/HTTP traces ----------------------------------------------------------

/**
 * OTLP protobuf exports of 500 SERVER spans (bench/otlp-body.mjs, the official serializer)
 * against batches of 500 JSON events (events.lua), the issue's 0.8x target: two fresh tenants
 * set up alike (tenant(): ceilings raised by the operator, no rules), the same wrk settings,
 * A B B A with the buffers drained in between as in the ingestion section, so D1's growth and
 * the machine's noise fall on both sides alike. Every span and every event is new on every
 * request on both sides: no side measures the duplicate path.
 */
async function otlpSection() {
	const SPANS = 500;
	console.log(`\nOTLP/HTTP traces: protobuf exports of ${SPANS} SERVER spans vs batches of ${SPANS} JSON events, two tenants set up alike`);
	console.log("figures are the mean of two runs (A B B A: A the JSON batch, B OTLP; buffers drained in between)\n");
	const batchTenant = await tenant("otlp-json");
	const otlpTenant = await tenant("otlp-proto");
	const otlpLua = join(root, "bench", "otlp.lua");
	const bodyFile = join(root, ".bench", "otlp-export.bin");
	mkdirSync(dirname(bodyFile), { recursive: true });
	// Written again before each run, so the spans start in the second before it, as the batch's
	// events (no timestamp: the time they arrive) are always of now.
	const writeBody = () => {
		const body = bodyTemplate(SPANS);
		writeFileSync(bodyFile, body);
		return body;
	};
	const template = writeBody();
	// The batch side's body as events.lua builds it (ids as long as its runs' ids), for its size.
	const jsonBody = JSON.stringify({
		events: Array.from({ length: SPANS }, (_, k) => ({
			event_id: `otlp-json-a1-1-1000-${k + 1}`,
			event_type: "api_call",
			source: "bench",
			endpoint: "/v1/orders/{id}",
			method: "GET",
			status_code: (k + 1) % 50 === 0 ? 503 : 200,
			response_time_ms: ((k + 1) % 400) + 0.5,
			tags: { region: "eu" },
		})),
	});
	const otlpUrl = `${app}/api/v1/otlp/v1/traces`;
	let runId = 0;
	const otlpEnv = () => ({ PS_KEY: otlpTenant.api_key.key, PS_BODY: bodyFile, PS_MARKER: MARKER_HEX, PS_RUN_ID: String(++runId) });

	// One export by hand first: the figures must be of spans accepted, not of refusals.
	const probe = await fetch(otlpUrl, {
		method: "POST",
		headers: { "Content-Type": "application/x-protobuf", "X-API-Key": otlpTenant.api_key.key },
		body: template,
		signal: AbortSignal.timeout(20_000),
	});
	const answer = new Uint8Array(await probe.arrayBuffer());
	const probeStats = await drained(otlpTenant, Date.now());
	// An empty ExportTraceServiceResponse (no partialSuccess) is zero bytes.
	if (probe.status !== 200 || answer.byteLength !== 0 || probeStats.total_events !== SPANS) {
		fail(`the probe export answered ${probe.status} (${answer.byteLength} bytes) and ${probeStats.total_events} of ${SPANS} spans were accepted`);
	}

	for (const [url, env, lua] of [
		[`${app}${batchPath}`, { PS_KEY: batchTenant.api_key.key, PS_RUN: "otlp-warm", PS_BATCH: String(SPANS) }, script],
		[otlpUrl, otlpEnv(), otlpLua],
	]) {
		spawnSync("wrk", ["-t1", "-c4", "-d2s", "-s", lua, url], { env: { ...process.env, ...env } });
	}
	await drained(batchTenant, Date.now());
	await drained(otlpTenant, Date.now());

	// The runtime's CPU per request as well as the rates: less sensitive to what else shares the 2 cores.
	const runtime = workerdsUnder(appChild.pid).runtime;
	const before = { json: await json(`${app}/api/v1/ingestion/stats`, { headers: { "X-API-Key": batchTenant.api_key.key } }), otlp: await json(`${app}/api/v1/ingestion/stats`, { headers: { "X-API-Key": otlpTenant.api_key.key } }) };
	const cpu = { json: { seconds: 0, requests: 0 }, otlp: { seconds: 0, requests: 0 } };
	async function run(side, tag) {
		if (side === "otlp") writeBody();
		const started = cpuSeconds(runtime);
		const result =
			side === "otlp"
				? wrk(otlpUrl, otlpEnv(), otlpLua)
				: wrk(`${app}${batchPath}`, { PS_KEY: batchTenant.api_key.key, PS_RUN: tag, PS_BATCH: String(SPANS) });
		const ended = Date.now();
		// The runtime's CPU includes the drain (the flush to local D1 runs on the same thread).
		await drained(batchTenant, ended);
		await drained(otlpTenant, ended);
		cpu[side].seconds += cpuSeconds(runtime) - started;
		cpu[side].requests += result.requests;
		return result;
	}
	// Both runs' socket errors (wrk's timeouts are answers later than its 2 s, still counted).
	const errors = (a, b) => [a.errors, b.errors].filter(Boolean).join(" | ") || undefined;
	const mean = (a, b) => ({ ...a, perSecond: (a.perSecond + b.perSecond) / 2, p50: (a.p50 + b.p50) / 2, p99: Math.max(a.p99, b.p99), non2xx: a.non2xx + b.non2xx, errors: errors(a, b) });
	const a1 = await run("json", "otlp-json-a1");
	const b1 = await run("otlp");
	const b2 = await run("otlp");
	const a2 = await run("json", "otlp-json-a2");
	if (process.env.BENCH_DEBUG) console.log({ a1, b1, b2, a2, cpu });
	const batch = mean(a1, a2);
	const otlp = mean(b1, b2);
	const after = { json: await drained(batchTenant, Date.now()), otlp: await drained(otlpTenant, Date.now()) };

	const ev = (r) => ({ ...r, perSecond: r.perSecond * SPANS });
	console.log(row(`PulseStream, batch of ${SPANS} (JSON)`, ev(batch), "ev/s "));
	console.log(row(`PulseStream, OTLP, ${SPANS} spans`, ev(otlp), "sp/s "));
	console.log(`  ratio OTLP spans/s to batch events/s: ${f(otlp.perSecond / batch.perSecond, 2)}x   (target >= 0.8x)`);
	const perRequest = (side) => f((cpu[side].seconds * 1000) / cpu[side].requests, 1);
	console.log(
		`  runtime CPU (Worker + objects + local D1 flush) per request of ${SPANS}: JSON ${perRequest("json")} ms, OTLP ${perRequest("otlp")} ms   ` +
			`bodies: JSON ${f(Buffer.byteLength(jsonBody) / 1024)} KB, OTLP ${f(template.byteLength / 1024)} KB`,
	);
	// What the server did with what it was sent: new events only (wrk does not count requests it
	// gave up on or left in flight at the end, so accepted may exceed 500 x wrk's 2xx).
	for (const side of ["json", "otlp"]) {
		const d = (k) => after[side][k] - before[side][k];
		const sent = (side === "json" ? a1.ok + a2.ok : b1.ok + b2.ok) * SPANS;
		console.log(
			`  ${side === "json" ? "JSON" : "OTLP"}: accepted ${f(d("total_events"))} (wrk saw ${f(sent)} in 2xx answers)   duplicates ${f(d("duplicates"))}   rejected ${f(d("rejected"))}   rate limited ${f(d("rate_limited"))}`,
		);
		if (d("duplicates") || d("rejected") || d("rate_limited")) console.log("  WARNING: not every event of this side was new and accepted: the figures above do not compare like with like");
	}
}

// --- dashboard sockets -------------------------------------------------------

/**
 * The two workerd processes under a wrangler dev child (wrangler's node starts
 * them further down the tree): `runtime` runs the Worker and its Durable
 * Objects (it has the inspector), `proxy` is wrangler's local dev proxy that
 * holds the client connections on the dev port and forwards them.
 */
function workerdsUnder(pid) {
	const found = { runtime: null, proxy: null };
	for (const p of processTree(pid)) {
		try {
			if (readFileSync(`/proc/${p}/comm`, "utf8").trim() !== "workerd") continue;
			found[readFileSync(`/proc/${p}/cmdline`, "utf8").includes("--inspector-addr") ? "runtime" : "proxy"] = p;
		} catch {
			// Gone meanwhile.
		}
	}
	return found;
}
/** Resident memory in MB (/proc/<pid>/status VmRSS); NaN when unreadable. */
function rssMb(pid) {
	try {
		return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
	} catch {
		return NaN;
	}
}
/** CPU seconds a process used so far (utime + stime of /proc/<pid>/stat, USER_HZ 100). */
function cpuSeconds(pid) {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return NaN;
	}
}
/** Every process under `pid`, itself included. */
function processTree(pid) {
	const all = [];
	const queue = [pid];
	while (queue.length > 0) {
		const p = queue.shift();
		all.push(p);
		try {
			for (const task of readdirSync(`/proc/${p}/task`)) {
				const kids = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
				if (kids) queue.push(...kids.split(/\s+/).map(Number));
			}
		} catch {
			// Not Linux, or the process is gone.
		}
	}
	return all;
}
/** CPU seconds the whole machine has been busy (/proc/stat: all but idle and iowait). */
function machineBusySeconds() {
	try {
		const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1).map(Number);
		return (user + nice + system + irq + softirq + steal) / 100;
	} catch {
		return NaN;
	}
}

/**
 * Latencies in 1 ms buckets (up to 60 s): a million samples a second cost
 * an increment each, never an array that grows with the run.
 */
function histogram() {
	const buckets = new Uint32Array(60_001);
	let n = 0;
	let max = 0;
	return {
		add(ms) {
			const b = Math.min(60_000, Math.max(0, Math.round(ms)));
			buckets[b]++;
			n++;
			if (ms > max) max = ms;
		},
		count: () => n,
		max: () => max,
		/** How many samples were above `ms`. */
		over(ms) {
			let above = 0;
			for (let i = Math.floor(ms) + 1; i < buckets.length; i++) above += buckets[i];
			return above;
		},
		pct(q) {
			const want = Math.max(1, Math.ceil(q * n));
			let seen = 0;
			for (let i = 0; i < buckets.length; i++) if ((seen += buckets[i]) >= want) return i;
			return NaN;
		},
	};
}

/**
 * The client side: `sockets` sockets to one tenant, each subscribed to
 * `events` with no filter. Every socket of a filter gets the same frame of a
 * flush, byte for byte, so each distinct frame is parsed once (keyed by its
 * length and head, which holds its first event's unique id) and every socket
 * then only adds its own arrival time: latencies for all sockets at an
 * addition per event, and the client stays far from being the bottleneck.
 *
 * `phase` says where a frame's received_at latencies go: "saturated" (the
 * wrk runs with sockets) or "paced" (the paced phase, where each frame also
 * keeps every socket's arrival time, to be matched with the 202s later).
 */
function socketClients(url, deflate) {
	const frames = new Map();
	const latency = { saturated: histogram(), paced: histogram() };
	const state = { phase: null, pacedFrames: [] };
	const totals = { frames: 0, bytes: 0, events: 0, dropped: 0, other: 0, closed: 0, closeCodes: {}, errors: 0, last: 0 };
	const read = (data) => {
		const key = `${data.length}:${data.toString("latin1", 0, 160)}`;
		let frame = frames.get(key);
		if (!frame) {
			const msg = JSON.parse(data);
			frame =
				msg.type === "events"
					? { events: msg.data.length, dropped: msg.dropped ?? 0, receivedAt: msg.data.map((e) => Date.parse(e.received_at)), ids: msg.data.map((e) => e.event_id), arrivals: null }
					: null;
			if (frames.size >= 256) frames.clear();
			frames.set(key, frame);
		}
		return frame;
	};
	const open = () =>
		new Promise((resolve, reject) => {
			// permessage-deflate only with BENCH_SOCKET_DEFLATE=1 (see the top of this file).
			const ws = new WebSocket(url, { perMessageDeflate: deflate });
			const mine = { events: 0, dropped: 0 };
			ws.once("unexpected-response", (_req, res) => {
				let body = "";
				res.on("data", (d) => (body += d));
				res.on("end", () => {
					reject(Object.assign(new Error(`HTTP ${res.statusCode} ${body}`), { status: res.statusCode, body }));
					ws.removeAllListeners("error");
					ws.on("error", () => {});
					ws.terminate();
				});
			});
			ws.on("error", (err) => {
				totals.errors++;
				reject(err);
			});
			ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", channels: ["events"] })));
			ws.once("message", (data) => {
				const msg = JSON.parse(data);
				if (msg.type !== "subscribed" || !msg.channels.includes("events")) return reject(new Error(`expected subscribed, got ${data}`));
				ws.on("message", (d) => {
					const now = Date.now();
					totals.frames++;
					totals.bytes += d.length;
					totals.last = now;
					const frame = read(d);
					if (!frame) return void totals.other++;
					totals.events += frame.events;
					totals.dropped += frame.dropped;
					mine.events += frame.events;
					mine.dropped += frame.dropped;
					const h = latency[state.phase];
					if (h) for (const at of frame.receivedAt) h.add(now - at);
					if (state.phase === "paced") {
						if (!frame.arrivals) {
							frame.arrivals = [];
							state.pacedFrames.push(frame);
						}
						frame.arrivals.push(now);
					}
				});
				ws.once("close", (code) => {
					totals.closed++;
					totals.closeCodes[code] = (totals.closeCodes[code] ?? 0) + 1;
				});
				resolve({ ws, mine });
			});
		});
	return { open, latency, totals, state };
}

/** TCP ports `pid` listens on (/proc/net/tcp{,6} LISTEN rows whose inode is one of its sockets). */
function listeningPorts(pid) {
	const inodes = new Set();
	try {
		for (const fd of readdirSync(`/proc/${pid}/fd`)) {
			try {
				const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
				if (m) inodes.add(m[1]);
			} catch {
				// Closed meanwhile.
			}
		}
	} catch {
		return [];
	}
	const ports = new Set();
	for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		try {
			for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
				const c = line.trim().split(/\s+/);
				if (c[3] === "0A" && inodes.has(c[9])) ports.add(Number.parseInt(c[1].split(":").at(-1), 16));
			}
		} catch {
			// Not Linux.
		}
	}
	return [...ports];
}

/** The runtime's own HTTP port (Miniflare's entry socket, behind wrangler's dev proxy): the one that answers /health. */
async function runtimePort(pid) {
	for (const port of listeningPorts(pid)) {
		if (port === appPort) continue;
		try {
			const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
			if (res.ok && (res.headers.get("content-type") ?? "").includes("json")) return port;
		} catch {
			// Not HTTP (the inspector answers /json only), or not ours.
		}
	}
	return null;
}

/** The extensions one WebSocket to `url` negotiates (ws's `extensions`: "" when none); closes it and waits for the close. */
function negotiated(url, deflate) {
	return new Promise((resolve) => {
		const ws = new WebSocket(url, { perMessageDeflate: deflate });
		const timer = setTimeout(() => (ws.terminate(), resolve("no answer within 5 s")), 5000);
		ws.once("unexpected-response", (_req, res) => (clearTimeout(timer), ws.terminate(), resolve(`refused: HTTP ${res.statusCode}`)));
		ws.once("error", (err) => (clearTimeout(timer), resolve(`failed: ${err.message}`)));
		ws.once("open", () => {
			const ext = ws.extensions || "none";
			ws.once("close", () => (clearTimeout(timer), resolve(ext)));
			ws.close();
		});
	});
}

/**
 * The paced latency phase: with every socket open and nothing else running,
 * single events at a fixed moderate rate from this process on keep-alive
 * connections (open loop: each is sent at its time, whether or not the last
 * one was answered). Each event's 202 time is kept by event_id; each frame
 * keeps every socket's arrival time (socketClients, phase "paced"); after
 * the phase each (event, socket) pair is arrival − 202: from acknowledgement
 * to frame, which is what the contract promises ("an accepted event reaches
 * every socket subscribed to events within 1 second"). The request queue
 * stays empty, so this measures the fan-out, not a saturated server.
 */
async function pacedPhase(t, clients, openSockets, procs) {
	const agent = new Agent({ keepAlive: true, maxSockets: 16 });
	const acks = new Map();
	const sentAt = new Map();
	let toAck = histogram();
	const counts = { sent: 0, accepted: 0, other: 0, errors: 0 };
	const post = (id) =>
		new Promise((resolve) => {
			const body = JSON.stringify({
				event_id: id,
				event_type: "api_call",
				source: "bench",
				endpoint: "/v1/orders/{id}",
				method: "GET",
				status_code: 200,
				response_time_ms: 12.5,
				tags: { region: "eu" },
			});
			const sent = Date.now();
			counts.sent++;
			const req = httpRequest(
				{
					host: "127.0.0.1",
					port: appPort,
					path: single,
					method: "POST",
					agent,
					headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-API-Key": t.api_key.key },
				},
				(res) => {
					// The 202's head is the acknowledgement; the body is in the same packet.
					const at = Date.now();
					if (res.statusCode === 202) {
						acks.set(id, at);
						sentAt.set(id, sent);
						counts.accepted++;
						toAck.add(at - sent);
					} else counts.other++;
					res.resume();
					res.on("end", resolve);
					res.on("error", resolve);
				},
			);
			req.on("error", () => {
				counts.errors++;
				resolve();
			});
			req.end(body);
		});
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
	const quiet = async (ms, limit) => {
		const from = Date.now();
		while (Date.now() - clients.totals.last < ms && Date.now() - from < limit) await sleep(50);
	};
	const prefix = `pace-${Date.now().toString(36)}`;
	// Warm the keep-alive connections and the path for a second, uncounted, then let the frames settle.
	const warm = [];
	for (let i = 0; i < pacedRate; i++) {
		warm.push(post(`${prefix}-warm-${i}`));
		await sleep(1000 / pacedRate);
	}
	await Promise.all(warm);
	await quiet(500, 5000);
	acks.clear();
	Object.assign(counts, { sent: 0, accepted: 0, other: 0, errors: 0 });
	toAck = histogram();

	const total = Math.round(pacedRate * pacedSeconds);
	const droppedBefore = clients.totals.dropped;
	const loop = monitorEventLoopDelay({ resolution: 10 });
	const cpuStart = { runtime: cpuSeconds(procs.runtime), proxy: cpuSeconds(procs.proxy), at: Date.now() };
	clients.state.phase = "paced";
	clients.state.pacedFrames = [];
	loop.enable();
	const started = performance.now();
	const inflight = [];
	for (let i = 0; i < total; i++) {
		const wait = started + (i * 1000) / pacedRate - performance.now();
		if (wait > 0) await sleep(wait);
		inflight.push(post(`${prefix}-${i}`));
	}
	const sendSeconds = (performance.now() - started) / 1000;
	await Promise.all(inflight);
	// The last frames: the sockets quiet for 500 ms (a flush is every 100 ms).
	await quiet(500, 10_000);
	loop.disable();
	const cpuWall = (Date.now() - cpuStart.at) / 1000;
	const cores = { runtime: (cpuSeconds(procs.runtime) - cpuStart.runtime) / cpuWall, proxy: (cpuSeconds(procs.proxy) - cpuStart.proxy) / cpuWall };
	clients.state.phase = null;
	agent.destroy();

	const fromAck = histogram();
	// Where a request's time to its 202 goes, split at its received_at (set by the Worker when
	// it starts on the request): before (client, dev proxy, waiting for the runtime) and after.
	const toWorker = histogram();
	const workerToAck = histogram();
	const split = new Set();
	let pairs = 0;
	let early = 0;
	for (const frame of clients.state.pacedFrames) {
		for (const [i, id] of frame.ids.entries()) {
			const ack = acks.get(id);
			if (ack === undefined) continue;
			if (!split.has(id)) {
				split.add(id);
				toWorker.add(frame.receivedAt[i] - sentAt.get(id));
				workerToAck.add(ack - frame.receivedAt[i]);
			}
			for (const at of frame.arrivals) {
				if (at < ack) early++;
				fromAck.add(at - ack);
				pairs++;
			}
		}
	}
	clients.state.pacedFrames = [];
	return {
		total,
		rate: (total - 1) / sendSeconds || pacedRate,
		counts,
		toAck,
		toWorker,
		workerToAck,
		fromAck,
		fromReceived: clients.latency.paced,
		pairs,
		expected: counts.accepted * openSockets,
		early,
		dropped: clients.totals.dropped - droppedBefore,
		loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
		cores,
	};
}

async function socketsSection() {
	console.log(
		`\ndashboard sockets: ${f(sockets)} on one tenant, each subscribed to events (no filter): a paced latency phase, then the same wrk single-event load as above`,
	);
	console.log("PulseStream figures are the mean of two runs (A B B A order: A a fresh tenant without sockets, B the tenant with them; buffers drained in between)\n");
	const quiet = await tenant("nosockets");
	const fan = await tenant("sockets");
	for (const t of [quiet, fan]) {
		spawnSync("wrk", ["-t1", "-c4", "-d2s", "-s", script, `${app}${single}`], { env: { ...process.env, PS_KEY: t.api_key.key, PS_RUN: `warm-${t.api_key.key.slice(-4)}` } });
	}
	await drained(quiet, Date.now());
	await drained(fan, Date.now());
	const procs = workerdsUnder(appChild.pid);
	const memory = () => ({ runtime: rssMb(procs.runtime), proxy: rssMb(procs.proxy) });
	const before = memory();

	const wsPath = `/api/v1/dashboard/ws/${fan.tenant.id}?token=${encodeURIComponent(fan.access_token)}`;
	const url = `ws://127.0.0.1:${appPort}${wsPath}`;
	const deflate = process.env.BENCH_SOCKET_DEFLATE === "1";
	// Locally a socket crosses three legs, and permessage-deflate is negotiated on each separately:
	// (1) this client to wrangler's dev proxy (the dev port, where the sockets connect): the sockets'
	// own `extensions`; (2) the dev proxy to the runtime's HTTP port, answered by Miniflare's entry
	// worker in front of the Worker: probed with one socket straight to that port, closed before
	// the others open; (3) entry worker to the Worker inside the runtime, not observable from here.
	// The Worker's no_web_socket_compression applies to its own responses only, i.e. to (3), as it
	// does at Cloudflare's edge; the proxy and entry workers have compatibility dates that enable
	// compression (workerd api/http.c++ Response::send), so when the client offers deflate, (1) and
	// (2) still use it locally, and both workerds deflate each frame once per socket.
	const rtPort = await runtimePort(procs.runtime);
	const runtimeLeg = rtPort ? await negotiated(`ws://127.0.0.1:${rtPort}${wsPath}`, deflate) : "not probed (runtime port not found)";
	for (const until = Date.now() + 5000; Date.now() < until; ) {
		const s = await json(`${app}/api/v1/dashboard/connections/stats`, { headers: { "X-API-Key": fan.api_key.key } });
		if (s.connections === 0) break;
		await new Promise((r) => setTimeout(r, 100));
	}
	const clients = socketClients(url, deflate);
	const open = [];
	const perSocket = [];
	const openStarted = Date.now();
	for (let i = 0; i < sockets; i += 50) {
		const wave = await Promise.allSettled(Array.from({ length: Math.min(50, sockets - i) }, () => clients.open()));
		for (const r of wave) {
			if (r.status === "rejected") fail(`socket ${open.length + 1} did not open: ${r.reason.message}`);
			open.push(r.value.ws);
			perSocket.push(r.value.mine);
		}
	}
	const openMs = Date.now() - openStarted;
	const extensions = open[0].extensions || "none";
	const connStats = await json(`${app}/api/v1/dashboard/connections/stats`, { headers: { "X-API-Key": fan.api_key.key } });
	if (connStats.connections !== sockets || connStats.subscriptions.events !== sockets) {
		fail(`connections/stats says ${JSON.stringify(connStats)} with ${sockets} sockets open`);
	}
	// One past the limit (1,000 unless MAX_SOCKETS_PER_TENANT says otherwise): refused with 429 CONNECTION_LIMIT.
	let overLimit;
	try {
		const { ws: extra } = await clients.open();
		extra.removeAllListeners("close");
		extra.close();
		overLimit = "accepted (101)";
	} catch (err) {
		const code = /"code":"(\w+)"/.exec(err.body ?? "")?.[1];
		overLimit = err.status ? `HTTP ${err.status} ${code ?? ""}`.trim() : `failed: ${err.message}`;
	}
	await new Promise((r) => setTimeout(r, 2000));
	const idle = memory();
	const acceptedBefore = (await json(`${app}/api/v1/ingestion/stats`, { headers: { "X-API-Key": fan.api_key.key } })).total_events;

	// Paced first, on a quiet server: the latency the contract is about.
	const paced = await pacedPhase(fan, clients, open.length, procs);
	await drained(fan, Date.now());

	// A B B A: A a fresh tenant without sockets, B the tenant with all of them.
	const peak = {};
	// CPU in cores per side: the runtime, wrangler's proxy, the rest of wrangler's tree, wrk, this
	// client, and everything else on the machine (other people's jobs: a disturbed run shows here).
	const zero = () => ({ runtime: 0, proxy: 0, wrangler: 0, wrk: 0, client: 0, others: 0, wall: 0, requests: 0 });
	const cpu = { a: zero(), b: zero() };
	const loop = monitorEventLoopDelay({ resolution: 10 });
	const treeSeconds = () => processTree(appChild.pid).reduce((sum, p) => sum + (cpuSeconds(p) || 0), 0);
	async function run(side, t, tag) {
		const top = (peak[tag] = { runtime: 0, proxy: 0 });
		const load = wrkAsync(`${app}${single}`, { PS_KEY: t.api_key.key, PS_RUN: tag });
		let wrkSeconds = 0;
		const sampler = setInterval(() => {
			top.runtime = Math.max(top.runtime, rssMb(procs.runtime));
			top.proxy = Math.max(top.proxy, rssMb(procs.proxy));
			wrkSeconds = Math.max(wrkSeconds, cpuSeconds(load.pid) || 0);
		}, 250);
		const started = { at: Date.now(), client: process.cpuUsage(), runtime: cpuSeconds(procs.runtime), proxy: cpuSeconds(procs.proxy), tree: treeSeconds(), machine: machineBusySeconds() };
		if (side === "b") {
			clients.state.phase = "saturated";
			loop.enable();
		}
		const result = await load;
		const ended = Date.now();
		await drained(quiet, ended);
		await drained(fan, ended);
		// The last frames of the run: wait until the sockets have been quiet for 300 ms.
		if (side === "b") while (Date.now() - clients.totals.last < 300 && Date.now() - ended < 10_000) await new Promise((r) => setTimeout(r, 50));
		loop.disable();
		clients.state.phase = null;
		clearInterval(sampler);
		const client = process.cpuUsage(started.client);
		const used = {
			runtime: cpuSeconds(procs.runtime) - started.runtime,
			proxy: cpuSeconds(procs.proxy) - started.proxy,
			client: (client.user + client.system) / 1e6,
			wrk: wrkSeconds,
		};
		used.wrangler = treeSeconds() - started.tree - used.runtime - used.proxy;
		used.others = machineBusySeconds() - started.machine - used.runtime - used.proxy - used.wrangler - used.client - used.wrk;
		for (const k of Object.keys(used)) cpu[side][k] += used[k];
		cpu[side].wall += (Date.now() - started.at) / 1000;
		cpu[side].requests += result.requests;
		return result;
	}
	const mean = (a, b) => ({ ...a, perSecond: (a.perSecond + b.perSecond) / 2, p50: (a.p50 + b.p50) / 2, p99: Math.max(a.p99, b.p99), non2xx: a.non2xx + b.non2xx, errors: a.errors ?? b.errors });
	const a1 = await run("a", quiet, "sock-a1");
	const b1 = await run("b", fan, "sock-b1");
	const b2 = await run("b", fan, "sock-b2");
	const a2 = await run("a", quiet, "sock-a2");
	const without = mean(a1, a2);
	const withSockets = mean(b1, b2);
	const accepted = (await json(`${app}/api/v1/ingestion/stats`, { headers: { "X-API-Key": fan.api_key.key } })).total_events - acceptedBefore;
	const after = memory();
	const reloaded = workerdsUnder(appChild.pid).runtime !== procs.runtime;
	if (process.env.BENCH_DEBUG) console.log({ a1, b1, b2, a2, totals: clients.totals, cpu, peak });

	// Every socket was subscribed throughout: what it received plus what it was told it missed is every accepted event.
	const complete = perSocket.filter((s) => s.events + s.dropped === accepted).length;
	const { totals, latency } = clients;
	const lost = 1 - withSockets.perSecond / without.perSecond;
	const mb = (n) => `${f(n)} MB`;
	const ms3 = (h) => `p50 ${f(h.pct(0.5))} ms   p99 ${f(h.pct(0.99))} ms   max ${f(h.max())} ms`;
	console.log(
		`opened ${f(open.length)} sockets in ${f(openMs / 1000, 1)} s (50 at a time)   ` +
			`connections/stats: ${f(connStats.connections)} open, ${f(connStats.subscriptions.events)} on events   socket ${f(sockets + 1)}: ${overLimit} (expected HTTP 429 CONNECTION_LIMIT)`,
	);
	console.log(
		`permessage-deflate ${deflate ? "offered by the client, as browsers do" : "not offered (production refuses it; BENCH_SOCKET_DEFLATE=1 offers it)"}; negotiated on leg 1, client to wrangler's dev proxy ` +
			`(where the sockets connect; local only): ${extensions}   on leg 2, dev proxy to the runtime (answered by Miniflare's entry worker, local only; ` +
			`one socket straight to the runtime${rtPort ? `'s port ${rtPort}` : ""}): ${runtimeLeg}   ` +
			`leg 3, entry worker to the Worker (no_web_socket_compression acts here, as at the edge): not observable`,
	);
	if (deflate && (extensions !== "none" || runtimeLeg.startsWith("permessage-deflate"))) {
		console.log(
			"  note: deflate on legs 1-2 is local only (in production the Worker's flag refuses it); its per-socket cost is in the figures below (BENCH_SOCKET_DEFLATE=0 leaves it out)",
		);
	}
	const p = paced;
	console.log(
		`\npaced latency phase (the figure compared to the 250 ms target): ${f(p.total)} single events at ${f(pacedRate)}/s (sent at ${f(p.rate, 1)}/s) for ${f(pacedSeconds)} s ` +
			`from this process on keep-alive connections, ${f(open.length)} sockets open, no wrk`,
	);
	console.log(
		`  request to 202: ${ms3(p.toAck)}   (${f(p.counts.sent)} sent, ${f(p.counts.accepted)} accepted (202)` +
			`${p.counts.other ? `, ${f(p.counts.other)} other statuses` : ""}${p.counts.errors ? `, ${f(p.counts.errors)} request errors` : ""})`,
	);
	console.log(`    of which request sent to its received_at: ${ms3(p.toWorker)}   received_at to 202 at the client: ${ms3(p.workerToAck)}`);
	if (p.toAck.pct(0.5) > 100) {
		console.log(
			`  WARNING: the requests queued (request to 202 p50 over 100 ms at ${f(pacedRate)}/s): the server did not keep up with the paced rate, so the figures below are not of an idle request queue`,
		);
	}
	console.log(`  event to frame, 202 to arrival, every accepted event on every socket: ${ms3(p.fromAck)}   (target p99 < 250 ms: this is the figure compared to it)`);
	console.log(
		`    ${f(p.pairs)} of ${f(p.expected)} (event, socket) pairs arrived, ${f(p.fromAck.over(1000))} later than 1 s after the 202, ${f(p.early)} before the client had the 202 (counted as 0 ms); dropped ${f(p.dropped)}`,
	);
	console.log(`  event to frame, received_at to arrival (for comparison, same events): ${ms3(p.fromReceived)}`);
	console.log(
		`  during the phase: runtime CPU ${f(p.cores.runtime, 2)} cores, dev proxy ${f(p.cores.proxy, 2)} cores; client event loop delay p99 ${f(p.loop.p99, 1)} ms, max ${f(p.loop.max, 1)} ms\n`,
	);
	console.log(row("PulseStream, single, no sockets", without));
	console.log(row(`PulseStream, single, ${f(sockets)} sockets`, withSockets));
	console.log(`  ingestion throughput lost to fan-out: ${f(lost * 100, 1)}%   (target < 20%)`);
	console.log(
		`  event to frame under saturation (B runs; received_at to arrival, includes the request queue; not the figure compared to the target): ${ms3(latency.saturated)}`,
	);
	console.log(
		`frames over the section (paced phase + B runs) ${f(totals.frames)} (${mb(totals.bytes / 1e6)} of JSON)   events ${f(totals.events)} (${f(totals.events / open.length)} a socket, of ${f(accepted)} accepted)   dropped ${f(totals.dropped)}   ` +
			`received + dropped = accepted on ${f(complete)} of ${f(open.length)} sockets` +
			`${totals.closed ? `   closed during the run: ${totals.closed} (codes ${JSON.stringify(totals.closeCodes)})` : ""}${totals.errors ? `   socket errors: ${totals.errors}` : ""}${totals.other ? `   other frames: ${totals.other}` : ""}`,
	);
	const peaks = (p) => ["sock-a1", "sock-b1", "sock-b2", "sock-a2"].map((tag) => mb(peak[tag][p])).join(", ");
	console.log(
		`workerd RSS, the runtime (Worker + objects, not only this one): before sockets ${mb(before.runtime)}   ${f(sockets)} idle sockets ${mb(idle.runtime)}   ` +
			`peak in runs A B B A ${peaks("runtime")}   after ${mb(after.runtime)}`,
	);
	console.log(
		`workerd RSS, wrangler's dev proxy (local only; holds the client connections): before ${mb(before.proxy)}   idle sockets ${mb(idle.proxy)}   ` +
			`peak in runs A B B A ${peaks("proxy")}   after ${mb(after.proxy)}`,
	);
	const cores = (side, p) => f(cpu[side][p] / cpu[side].wall, 2);
	const cpuLine = (side) =>
		`runtime ${cores(side, "runtime")}, dev proxy ${cores(side, "proxy")}, wrangler ${cores(side, "wrangler")}, wrk ${cores(side, "wrk")}, this client ${cores(side, "client")}, others ${cores(side, "others")}`;
	const perRequest = (side) => f((cpu[side].runtime * 1000) / cpu[side].requests, 2);
	console.log(
		`runtime CPU (Worker + objects) per ingestion request, less sensitive than req/s to what shares the 2 cores: ${perRequest("a")} ms without sockets, ${perRequest("b")} ms with`,
	);
	console.log(`CPU in cores (2 on this machine), A without sockets: ${cpuLine("a")}`);
	console.log(`                                  B with sockets:    ${cpuLine("b")}   (client event loop delay p99 ${f(loop.percentile(99) / 1e6, 1)} ms, max ${f(loop.max / 1e6, 1)} ms)`);
	if (reloaded) console.log("  WARNING: wrangler restarted the Worker during the section (a watched file changed): these figures are disturbed, run again");
	else if (totals.closed) console.log("  WARNING: the server closed sockets during the section: these figures are disturbed");
	for (const ws of open) ws.terminate();
}

/**
 * A Prometheus scrape of a tenant that has sent 1,000 distinct endpoints (api_call events with
 * latencies, in batches of 500): how long GET /api/v1/metrics takes and how big it is. The
 * endpoint label is bounded (the first 100 endpoints, then "other"), so the answer stays small.
 */
async function metricsSection() {
	const endpoints = 1000;
	console.log(`\nPrometheus scrape: one tenant, ${f(endpoints)} distinct endpoints, 3 events each (batches of 500), then 50 sequential scrapes`);
	const t = await tenant("metrics");
	const key = { "X-API-Key": t.api_key.key };
	const all = [];
	for (let i = 0; i < endpoints * 3; i++) {
		all.push({ event_type: "api_call", endpoint: `/v1/resource-${i % endpoints}/{id}`, method: i % 3 ? "GET" : "POST", status_code: i % 17 ? 200 : 503, response_time_ms: (i * 7) % 900 });
	}
	for (let i = 0; i < all.length; i += 500) {
		await json(`${app}/api/v1/ingestion/events/batch`, { method: "POST", headers: { ...key, "Content-Type": "application/json" }, body: JSON.stringify({ events: all.slice(i, i + 500) }) });
	}
	await drained(t, Date.now());
	const scrape = async () => {
		const started = performance.now();
		const res = await fetch(`${app}/api/v1/metrics`, { headers: { Authorization: `Bearer ${t.api_key.key}` }, signal: AbortSignal.timeout(20_000) });
		const text = await res.text();
		if (res.status !== 200) fail(`GET /api/v1/metrics: ${res.status} ${text.slice(0, 200)}`);
		return { ms: performance.now() - started, text };
	};
	for (let i = 0; i < 5; i++) await scrape();
	const times = [];
	let last = "";
	for (let i = 0; i < 50; i++) {
		const { ms, text } = await scrape();
		times.push(ms);
		last = text;
	}
	times.sort((a, b) => a - b);
	const q = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
	const samples = last.split("\n").filter((l) => l && !l.startsWith("#")).length;
	const labels = new Set([...last.matchAll(/endpoint="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]));
	const total = /^pulsestream_api_calls_total.*$/gm;
	const calls = [...last.matchAll(total)].reduce((n, m) => n + Number(m[0].split(" ").at(-1)), 0);
	console.log(
		`scrape of ${f(endpoints)} endpoints: p50 ${f(q(50), 1)} ms   p99 ${f(q(99), 1)} ms   max ${f(times.at(-1), 1)} ms   ${f(last.length / 1024, 1)} KB, ${f(samples)} samples, ${f(labels.size)} endpoint labels (100 + other)   api calls counted ${f(calls)} of ${f(all.length)}`,
	);
}

if (!only || only === "ingestion") await ingestionSection();
if (!only || only === "otlp") await otlpSection();
if (!only || only === "sockets") await socketsSection();
if (!only || only === "metrics") await metricsSection();
receiver.close();

for (const child of children) child.kill("SIGTERM");
process.exit(0);
