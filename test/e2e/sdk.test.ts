import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PulseStream, type PulseStreamError } from "../../sdk/src/index.js";
import { freePort } from "./ports";

const base = inject("baseUrl");
const run = Date.now().toString(36);

type Registered = { api_key: { key: string }; access_token: string };
type Found = { event_id: string; source: string; endpoint: string | null; method: string | null; status_code: number | null; response_time_ms: number | null; severity: string };
let owner: Registered;
let ingestKey: string;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(`${base}/api/v1${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** Every event of a source (all pages), read with the registration's key (ingest + read). */
async function searchAll(source: string): Promise<Found[]> {
	const found: Found[] = [];
	let cursor: string | null = null;
	do {
		const q = new URLSearchParams({ source, limit: "1000", ...(cursor ? { cursor } : {}) });
		const res = await fetch(`${base}/api/v1/ingestion/events/search?${q}`, { headers: { "X-API-Key": owner.api_key.key } });
		expect(res.status).toBe(200);
		const page = (await res.json()) as { events: Found[]; next_cursor: string | null };
		found.push(...page.events);
		cursor = page.next_cursor;
	} while (cursor);
	return found;
}

/** Polls search until `count` events of the source are there (the contract: within 5 s of acceptance). */
async function waitFor(source: string, count: number, ms = 5_000): Promise<Found[]> {
	const deadline = Date.now() + ms;
	let found = await searchAll(source);
	while (found.length < count && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 200));
		found = await searchAll(source);
	}
	return found;
}

beforeAll(async () => {
	const res = await post("/auth/register/tenant", { name: "SDK", slug: `sdk-${run}`, email: "sdk@example.test", password: "sdk-end-to-end-password" });
	expect(res.status).toBe(201);
	owner = (await res.json()) as Registered;
	const key = await post("/api-keys", { name: "producer", scopes: ["ingest"] }, { Authorization: `Bearer ${owner.access_token}` });
	expect(key.status).toBe(201);
	const made = (await key.json()) as { key: string; scopes: string[] };
	expect(made.scopes).toEqual(["ingest"]);
	ingestKey = made.key;
});

describe("the producer SDK against npm run dev", () => {
	it("captures 1,200 events from Node with an ingest-only key; flush() delivers them all, each once", async () => {
		const errors: PulseStreamError[] = [];
		const source = `node-${run}`;
		const client = new PulseStream({ apiKey: ingestKey, endpoint: base, source, onError: (e) => errors.push(e) });
		for (let i = 0; i < 1200; i++) {
			expect(client.capture({ event_type: i % 10 === 0 ? "error" : "custom", payload: { i, text: "é€😀" } })).toBe(true);
		}
		await client.shutdown();
		const accepted = Date.now();
		expect(errors).toEqual([]);
		const found = await waitFor(source, 1200);
		expect(found).toHaveLength(1200);
		expect(new Set(found.map((e) => e.event_id)).size).toBe(1200);
		expect(Date.now() - accepted).toBeLessThan(5_000 + 2_000); // polling slack on a shared machine
		expect(client.capture({ event_type: "custom" })).toBe(false); // after shutdown
	});

	it("a key without the ingest scope is refused (403) and reported through onError, not retried", async () => {
		const readKey = await post("/api-keys", { name: "reader", scopes: ["read"] }, { Authorization: `Bearer ${owner.access_token}` });
		const { key } = (await readKey.json()) as { key: string };
		const errors: PulseStreamError[] = [];
		const client = new PulseStream({ apiKey: key, endpoint: base, source: `reader-${run}`, onError: (e) => errors.push(e) });
		client.capture({ event_type: "custom", event_id: `refused-${run}` });
		await client.flush();
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatchObject({ reason: "refused", status: 403, code: "FORBIDDEN", events: [{ event_id: `refused-${run}` }] });
		expect(errors[0]!.message).not.toContain(key);
	});
});

describe("the Hono middleware in a real Worker (wrangler dev)", () => {
	let worker: ChildProcess;
	let workerUrl: string;
	let state: string;
	let output = "";
	const source = `worker-${run}`;

	beforeAll(async () => {
		const [port, inspector] = [await freePort(), await freePort()];
		state = mkdtempSync(join(tmpdir(), "pulsestream-sdk-worker-"));
		worker = spawn(
			"node_modules/.bin/wrangler",
			[
				"dev",
				...["--config", "test/e2e/sdk-worker/wrangler.toml", "--port", String(port), "--inspector-port", String(inspector)],
				...["--ip", "127.0.0.1", "--persist-to", state],
				...["--var", `PS_ENDPOINT:${base}`, "--var", `PS_KEY:${ingestKey}`, "--var", `PS_SOURCE:${source}`],
			],
			{ env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
		);
		worker.stdout!.on("data", (d) => (output += d));
		worker.stderr!.on("data", (d) => (output += d));
		workerUrl = `http://127.0.0.1:${port}`;
		const deadline = Date.now() + 90_000;
		for (;;) {
			try {
				if ((await fetch(`${workerUrl}/ready`)).ok) break;
			} catch {}
			if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`the SDK's test Worker did not start:\n${output}`);
			await new Promise((r) => setTimeout(r, 250));
		}
	});

	afterAll(() => {
		// wrangler spawns workerd: end the whole group.
		try {
			if (worker?.pid) process.kill(-worker.pid, "SIGTERM");
		} catch {}
		if (state) rmSync(state, { recursive: true, force: true });
	});

	it("reports each request with the route template, method and status, through waitUntil", async () => {
		const answers = [
			await fetch(`${workerUrl}/orders/1`),
			await fetch(`${workerUrl}/orders/2?expand=items`),
			await fetch(`${workerUrl}/orders`, { method: "POST" }),
			await fetch(`${workerUrl}/no/such/route`),
			await fetch(`${workerUrl}/boom`),
		];
		expect(answers.map((r) => r.status)).toEqual([200, 200, 201, 404, 500]);
		const found = await waitFor(source, 5, 10_000);
		const seen = found.map((e) => [e.endpoint, e.method, e.status_code, e.severity]).sort((a, b) => String(a).localeCompare(String(b)));
		expect(seen).toEqual(
			[
				["/orders/:id", "GET", 200, "info"],
				["/orders/:id", "GET", 200, "info"],
				["/orders", "POST", 201, "info"],
				["/*", "GET", 404, "info"],
				["/boom", "GET", 500, "error"],
			].sort((a, b) => String(a).localeCompare(String(b))),
		);
		for (const e of found) {
			expect(e.source).toBe(source);
			expect(e.response_time_ms).toBeGreaterThanOrEqual(0);
		}
		expect(found.some((e) => e.endpoint?.includes("/orders/1"))).toBe(false);
		// The Worker's flush timer is an hour: only waitUntil can have sent these. No I/O warnings across requests.
		expect(output).not.toMatch(/different request|Cannot perform I\/O/);
	});
});
