import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_RESPONSE_BYTES, POST_TIMEOUT_MS, postBounded, readBounded } from "../../src/queue/http";
import { RECEIVER, bucket, receivedBy } from "./receiver";

const json = { headers: { "Content-Type": "application/json" }, body: '{"hello":"world"}' };

afterEach(() => {
	vi.restoreAllMocks();
});

describe("postBounded: verdicts", () => {
	it("delivers on any 2xx and sends the request as given", async () => {
		const b = bucket("ok");
		expect(await postBounded(`${RECEIVER}/ok/${b}`, json, env)).toEqual({ ok: true });
		expect(await postBounded(`${RECEIVER}/status/202/${b}`, json, env)).toEqual({ ok: true });
		expect(await postBounded(`${RECEIVER}/status/204/${b}`, json, env)).toEqual({ ok: true });
		const got = await receivedBy(b);
		expect(got).toHaveLength(3);
		expect(got[0]).toMatchObject({ method: "POST", body: '{"hello":"world"}' });
		expect(got[0]!.headers["content-type"]).toBe("application/json");
	});

	it("treats 4xx other than 408 and 429 as permanent, with the status and body in the error", async () => {
		for (const code of [400, 401, 403, 404, 410, 413, 422]) {
			const result = await postBounded(`${RECEIVER}/status/${code}/${bucket("4xx")}`, json, env);
			expect(result).toEqual({ ok: false, error: `HTTP ${code}: receiver answered ${code}`, permanent: true });
		}
	});

	it("retries 408, 429 and 5xx", async () => {
		for (const code of [408, 429, 500, 502, 503, 504]) {
			const result = await postBounded(`${RECEIVER}/status/${code}/${bucket("retry")}`, json, env);
			expect(result).toEqual({ ok: false, error: `HTTP ${code}: receiver answered ${code}` });
		}
	});

	it("keeps the first 200 characters of a failed answer's body", async () => {
		const body = `${"y".repeat(200)}TAIL`;
		const result = await postBounded(`${RECEIVER}/status/503/${bucket("long")}?body=${body}`, json, env);
		expect(result).toEqual({ ok: false, error: `HTTP 503: ${"y".repeat(200)}` });
	});

	it("says only the status when the answer has no body", async () => {
		const result = await postBounded(`${RECEIVER}/status/500/${bucket("empty")}?body=`, json, env);
		expect(result).toEqual({ ok: false, error: "HTTP 500" });
	});

	it("refuses redirects without following them", async () => {
		const b = bucket("redirect");
		const result = await postBounded(`${RECEIVER}/redirect/${b}`, json, env);
		expect(result).toMatchObject({ ok: false, permanent: true });
		expect(!result.ok && result.error).toMatch(/^HTTP 302: redirects are not followed/);
		expect(await receivedBy(b)).toHaveLength(1);
		expect(await receivedBy(`${b}-followed`)).toEqual([]);
		for (const code of [301, 307, 308]) {
			const r = await postBounded(`${RECEIVER}/status/${code}/${bucket("3xx")}`, json, env);
			expect(r).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining("redirects are not followed") });
		}
	});

	it("retries a network error", async () => {
		vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(new TypeError("Network connection lost."));
		expect(await postBounded(`${RECEIVER}/ok/${bucket("net")}`, json, env)).toEqual({
			ok: false,
			error: "network error: Network connection lost.",
		});
	});
});

describe("postBounded: bounds", () => {
	it("defaults to a 10 s timeout and 64 KB of answer", () => {
		expect(POST_TIMEOUT_MS).toBe(10_000);
		expect(MAX_RESPONSE_BYTES).toBe(64 * 1024);
	});

	it("gives up on a receiver that never answers, as a retryable timeout", async () => {
		const started = Date.now();
		const result = await postBounded(`${RECEIVER}/hang/${bucket("hang")}`, json, env, { timeoutMs: 300 });
		expect(result).toEqual({ ok: false, error: "timeout after 300 ms" });
		expect(Date.now() - started).toBeLessThan(3_000);
	});

	it("bounds the body read by the same timeout (a trickling answer)", async () => {
		let started = Date.now();
		const failed = await postBounded(`${RECEIVER}/trickle/${bucket("trickle")}?status=503`, json, env, { timeoutMs: 1_000 });
		expect(Date.now() - started).toBeLessThan(4_000);
		expect(failed).toMatchObject({ ok: false, error: expect.stringMatching(/^HTTP 503: x+$/) });
		expect(failed).not.toHaveProperty("permanent");
		// A 2xx is a delivery even if its body then stalls: sending again would duplicate it.
		started = Date.now();
		expect(await postBounded(`${RECEIVER}/trickle/${bucket("trickle-ok")}`, json, env, { timeoutMs: 1_000 })).toEqual({ ok: true });
		expect(Date.now() - started).toBeLessThan(4_000);
	});

	it("cuts a huge answer without error", async () => {
		const started = Date.now();
		expect(await postBounded(`${RECEIVER}/huge/${bucket("huge")}`, json, env)).toEqual({ ok: true });
		const failed = await postBounded(`${RECEIVER}/huge/${bucket("huge-500")}?status=500`, json, env);
		expect(failed).toEqual({ ok: false, error: `HTTP 500: ${"x".repeat(200)}` });
		expect(Date.now() - started).toBeLessThan(5_000);
	});

	it("reads at most maxBytes and cancels the rest of the stream", async () => {
		let pulled = 0;
		let cancelled = false;
		const endless = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled += 10_000;
				controller.enqueue(new Uint8Array(10_000).fill(0x61));
			},
			cancel() {
				cancelled = true;
			},
		});
		const text = await readBounded(new Response(endless), MAX_RESPONSE_BYTES, AbortSignal.timeout(5_000));
		expect(text).toHaveLength(MAX_RESPONSE_BYTES);
		// A stream may pull ahead by its queue, never by megabytes.
		expect(pulled).toBeLessThanOrEqual(MAX_RESPONSE_BYTES + 30_000);
		await new Promise((r) => setTimeout(r, 10));
		expect(cancelled).toBe(true);
	});
});

describe("postBounded: URL guard", () => {
	const production = { ...env, ENVIRONMENT: "production" };

	it("refuses forbidden URLs in production without making a request", async () => {
		const fetchSpy = vi.spyOn(globalThis, "fetch");
		const b = bucket("forbidden");
		const urls = [
			`${RECEIVER}/ok/${b}`, // http
			`https://user:pw@receiver.test/ok/${b}`,
			"https://localhost/hook",
			"https://127.0.0.1/hook",
			"https://10.1.2.3/hook",
			"https://169.254.169.254/latest/meta-data",
			"https://[::1]/hook",
			"https://metadata.google.internal/hook",
			"not a url",
		];
		for (const url of urls) {
			const result = await postBounded(url, json, production);
			expect(result).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/^refused: the URL /) });
		}
		expect(fetchSpy).not.toHaveBeenCalled();
		fetchSpy.mockRestore();
		expect(await receivedBy(b)).toEqual([]);
	});

	it("allows plain http to local receivers in the test environment", async () => {
		expect(await postBounded(`${RECEIVER}/ok/${bucket("local")}`, json, env)).toEqual({ ok: true });
	});
});
