import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "./ports";

/**
 * A real Prometheus (Debian's `prometheus` package; .ci/run installs it)
 * scrapes `npm run dev`'s /api/v1/metrics every second with a read key in
 * its `authorization` block, and its query API must return what was
 * ingested. Without the binary this fails: a skipped test would let CI pass
 * without ever having scraped.
 */
const PROMETHEUS = "/usr/bin/prometheus";
const base = inject("baseUrl");

let dir: string;
let prometheus: ChildProcess | undefined;
let promUrl: string;
let output = "";
let key: string;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** An instant query's single value, or null while it has none. */
async function queryValue(query: string): Promise<number | null> {
	const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
	if (!res.ok) return null;
	const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
	const [first] = body.data.result;
	return first ? Number(first.value[1]) : null;
}

async function until(query: string, expected: number, timeoutMs = 20_000): Promise<void> {
	const started = Date.now();
	let last: number | null = null;
	while (Date.now() - started < timeoutMs) {
		try {
			last = await queryValue(query);
			if (last === expected) return;
		} catch {
			// Prometheus still starting.
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	const targets = await fetch(`${promUrl}/api/v1/targets`).then((r) => r.text(), String);
	throw new Error(`${query}: ${last} after ${timeoutMs} ms, expected ${expected}\ntargets: ${targets}\nprometheus output:\n${output.slice(-3000)}`);
}

beforeAll(async () => {
	if (!existsSync(PROMETHEUS)) {
		throw new Error(`${PROMETHEUS} is missing: install Debian's prometheus package (apt-get install -y prometheus), as .ci/run does`);
	}
	const res = await post("/api/v1/auth/register/tenant", {
		name: "Scraped",
		slug: `e2e-prom-${Date.now().toString(36)}`,
		email: "prom@example.test",
		password: "end-to-end-password",
	});
	expect(res.status).toBe(201);
	key = ((await res.json()) as { api_key: { key: string } }).api_key.key;

	dir = mkdtempSync(join(tmpdir(), "pulsestream-prometheus-"));
	const target = new URL(base).host;
	writeFileSync(
		join(dir, "prometheus.yml"),
		[
			"global:",
			"  scrape_interval: 1s",
			"  scrape_timeout: 1s",
			"scrape_configs:",
			"  - job_name: pulsestream",
			"    scheme: http",
			"    metrics_path: /api/v1/metrics",
			"    authorization:",
			"      type: Bearer",
			`      credentials: ${key}`,
			"    static_configs:",
			`      - targets: ["${target}"]`,
			"",
		].join("\n"),
	);
	const port = await freePort();
	promUrl = `http://127.0.0.1:${port}`;
	prometheus = spawn(
		PROMETHEUS,
		[`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
		{ stdio: ["ignore", "pipe", "pipe"] },
	);
	prometheus.stdout!.on("data", (d) => (output += d));
	prometheus.stderr!.on("data", (d) => (output += d));
}, 60_000);

afterAll(() => {
	prometheus?.kill("SIGTERM");
	if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a real Prometheus scraping /api/v1/metrics with a bearer key", () => {
	it("its query API returns the counts that were ingested, and the histogram answers a p95 by endpoint", async () => {
		await until('up{job="pulsestream"}', 1);
		const events = [
			...Array.from({ length: 5 }, (_, i) => ({
				event_type: "api_call",
				endpoint: i < 3 ? "/v1/orders/{id}" : "/v1/cart",
				method: "GET",
				status_code: i === 4 ? 502 : 200,
				response_time_ms: 20 + i * 100,
			})),
			{ event_type: "error" },
			{ event_type: "custom" },
		];
		const batch = await post("/api/v1/ingestion/events/batch", { events }, { "X-API-Key": key });
		expect(await batch.json()).toMatchObject({ accepted: 7 });
		await until("sum(pulsestream_events_total)", 7);
		await until("sum(pulsestream_api_calls_total)", 5);
		await until('sum(pulsestream_api_calls_total{endpoint="/v1/orders/{id}"})', 3);
		await until("pulsestream_errors_total", 2);
		await until('sum(pulsestream_api_call_duration_seconds_count{endpoint="/v1/cart"})', 2);
		const p95 = await queryValue(
			'histogram_quantile(0.95, sum by (le, endpoint) (pulsestream_api_call_duration_seconds_bucket{endpoint="/v1/orders/{id}"}))',
		);
		// 20, 120 and 220 ms: the 95th percentile lies in the (0.1, 0.25] bucket.
		expect(p95).toBeGreaterThan(0.1);
		expect(p95).toBeLessThanOrEqual(0.25);
	}, 60_000);
});
