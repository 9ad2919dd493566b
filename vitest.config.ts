import { availableParallelism } from "node:os";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { buildDashboard } from "./scripts/build-dashboard.mjs";

/**
 * Test receivers for outbound fetches (alert notifications). Miniflare runs
 * `outboundService` in Node for every `fetch()` the Worker makes; requests to
 * RECEIVER_HOST are answered here, with a behaviour chosen by the path, and
 * recorded per bucket (the last path segment) so a test in workerd can read
 * them back with `GET http://receiver.test/_log/<bucket>`. Any other host
 * passes through to the network unchanged.
 *
 *   /ok/<bucket>                 200 "ok"
 *   /status/<code>/<bucket>      that status (?body=… sets the body; 3xx carry a Location)
 *   /fail-times/<n>/<bucket>     503 for the first n requests of the bucket, then 200
 *   /redirect/<bucket>           302 to /ok/<bucket>-followed (which records if followed)
 *   /hang/<bucket>               answers 200 only after 15 s
 *   /trickle/<bucket>            headers at once (?status=…), then 1 byte every 200 ms for 60 s
 *   /huge/<bucket>               16 MB body (?status=…), produced only as it is read
 *   GET /_log/<bucket>           the bucket's requests: [{method, url, headers, body}]
 */
const RECEIVER_HOST = "receiver.test";

type Recorded = { method: string; url: string; headers: Record<string, string>; body: string };
const received = new Map<string, Recorded[]>();
const served = new Map<string, number>();

const sleep = (ms: number) =>
	new Promise<void>((resolve) => {
		// unref: a pending hang must not keep the test process alive.
		setTimeout(resolve, ms).unref();
	});

function stream(total: number, chunkSize: number, pauseMs = 0): ReadableStream<Uint8Array> {
	let sent = 0;
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (sent >= total) return controller.close();
			if (pauseMs) await sleep(pauseMs);
			const n = Math.min(chunkSize, total - sent);
			controller.enqueue(new Uint8Array(n).fill(0x78)); // "x"
			sent += n;
		},
	});
}

async function receiver(request: Request): Promise<Response> {
	const url = new URL(request.url);
	if (url.hostname !== RECEIVER_HOST) {
		// Miniflare's Request class is not Node's, so rebuild it for Node's
		// fetch, which sets the framing headers itself (and refuses them given).
		const hasBody = request.method !== "GET" && request.method !== "HEAD";
		const headers = new Headers(request.headers);
		for (const name of ["host", "content-length", "connection", "transfer-encoding"]) headers.delete(name);
		const res = await fetch(url, {
			method: request.method,
			headers,
			body: hasBody ? await request.arrayBuffer() : undefined,
			redirect: "manual",
		});
		// Node's fetch has already decoded a compressed body.
		const out = new Headers(res.headers);
		out.delete("content-encoding");
		out.delete("content-length");
		return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
	}
	const [route = "", ...args] = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
	const bucket = args.at(-1) ?? "";
	if (route === "_log") return Response.json(received.get(bucket) ?? []);

	const entry: Recorded = {
		method: request.method,
		url: request.url,
		headers: Object.fromEntries(request.headers),
		body: await request.text(),
	};
	received.set(bucket, [...(received.get(bucket) ?? []), entry]);
	const count = (served.get(bucket) ?? 0) + 1;
	served.set(bucket, count);
	const status = Number(url.searchParams.get("status") ?? 200);

	switch (route) {
		case "ok":
			return new Response("ok");
		case "status": {
			const code = Number(args[0]);
			const body = url.searchParams.get("body") ?? `receiver answered ${code}`;
			const headers: Record<string, string> = code >= 300 && code < 400 ? { Location: `http://${RECEIVER_HOST}/ok/${bucket}-followed` } : {};
			return new Response(code === 204 || code === 304 ? null : body, { status: code, headers });
		}
		case "fail-times":
			return count <= Number(args[0]) ? new Response(`failure ${count}`, { status: 503 }) : new Response("ok");
		case "redirect":
			return new Response(null, { status: 302, headers: { Location: `http://${RECEIVER_HOST}/ok/${bucket}-followed` } });
		case "hang":
			await sleep(15_000);
			return new Response("late");
		case "trickle":
			return new Response(stream(300, 1, 200), { status });
		case "huge":
			return new Response(stream(16 * 1024 * 1024, 64 * 1024), { status });
		default:
			return new Response(`no receiver route ${route}`, { status: 404 });
	}
}

export default defineConfig(async () => {
	// The Worker's static assets (the dashboard) exist before the pool reads wrangler.toml's [assets].
	await buildDashboard();
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
	// Lets a test check that code constants agree with the config (queue retries).
	const wranglerToml = await readFile(path.join(import.meta.dirname, "wrangler.toml"), "utf8");
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						TEST_WRANGLER_TOML: wranglerToml,
						ENVIRONMENT: "test",
						JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-signing",
						API_KEY_SECRET: "test-api-key-secret-that-is-long-enough-to-tag-keys",
						// The operator API's secret under test (ENVIRONMENT=test has no development default).
						OPERATOR_TOKEN: "test-operator-token-that-is-long-enough-0123456789",
						LOG_LEVEL: "warn",
						APP_URL: "https://pulsestream.test",
						// Small, so a test can reach it; the shipped default (1,000) is reached by npm run bench.
						MAX_SOCKETS_PER_TENANT: "8",
					},
					outboundService: receiver,
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			exclude: ["test/e2e/**"],
			setupFiles: ["./test/setup/apply-migrations.ts"],
			testTimeout: 20_000,
			// Two test files at a time even on 2 cores (vitest's default there is one): each file
			// spends most of its time starting its workerd isolate, so two overlap well
			// (the suite took 421 s instead of 563-592 s on the 2-core machine, all green).
			maxWorkers: Math.max(2, availableParallelism() - 1),
			// Error answers are always logged (src/lib/middleware.ts), so the suite's many deliberate
			// 4xx would each print a request line; tests that check logs spy on console themselves.
			onConsoleLog: (line: string) => !/"msg":"(slow )?request"/.test(line),
		},
	};
});
