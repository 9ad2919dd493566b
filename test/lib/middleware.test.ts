import { afterEach, describe, expect, it, vi } from "vitest";
import { requestLogLevel } from "../../src/lib/middleware";
import { bearer, call, fetchWith, flush, ingest, keyHeader, postJson, registerTenant } from "../helpers";
import { webhookBody } from "../routes/alerting/alerting-helpers";

/**
 * The headers every response carries, and what the request middleware logs.
 * The log tests run the app with the shipped LOG_LEVEL ("info", wrangler.toml)
 * rather than the test suite's "warn", on the same bindings.
 */

/** The JSON lines console.* received while `run` ran. */
async function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
	const lines: string[] = [];
	const spies = (["log", "info", "warn", "error"] as const).map((m) =>
		vi.spyOn(console, m).mockImplementation((line: unknown) => void lines.push(String(line))),
	);
	try {
		await run();
	} finally {
		for (const spy of spies) spy.mockRestore();
	}
	return lines.flatMap((line) => {
		try {
			return [JSON.parse(line) as Record<string, unknown>];
		} catch {
			return [];
		}
	});
}

const requestLines = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === "request" || l.msg === "slow request");

afterEach(() => vi.restoreAllMocks());

describe("headers on every response", () => {
	it("X-Content-Type-Options: nosniff on successes, errors, 404s, the document and the dashboard page", async () => {
		const t = await registerTenant();
		const responses = await Promise.all([
			call("/health"),
			call("/"),
			call("/openapi.json"),
			call("/dashboard"),
			call("/api/v1/nothing-here"),
			call("/api/v1/tenant"),
			call("/api/v1/tenant", { headers: bearer(t.access_token) }),
			ingest(t, { event_type: "custom" }),
			postJson("/api/v1/ingestion/events", "{not json", keyHeader(t)),
		]);
		for (const res of responses) {
			expect(res.headers.get("X-Content-Type-Options"), res.url).toBe("nosniff");
			expect(res.headers.get("X-Request-Id"), res.url).toBeTruthy();
		}
	});

	it("Cache-Control: no-store on every answer that carries a token, a key or a secret", async () => {
		const t = await registerTenant();
		const slug = `nostore-${Math.random().toString(36).slice(2, 8)}`;
		const register = await postJson("/api/v1/auth/register/tenant", { name: "No store", slug, email: `o@${slug}.test`, password: "correct horse battery" });
		expect(register.status).toBe(201);
		const login = await postJson("/api/v1/auth/login", { tenant: t.tenant.slug, email: t.user.email, password: "correct horse battery" });
		expect(login.status).toBe(200);
		const refresh = await postJson("/api/v1/auth/refresh", { refresh_token: t.refresh_token });
		expect(refresh.status).toBe(200);
		const key = await postJson("/api/v1/api-keys", { name: "ci" }, bearer(t.access_token));
		expect(key.status).toBe(201);
		const channel = await postJson("/api/v1/alerting/channels", webhookBody(), bearer(t.access_token));
		expect(channel.status).toBe(201);
		for (const res of [register, login, refresh, key, channel]) {
			expect(res.headers.get("Cache-Control"), res.url).toBe("no-store");
		}
		// Error answers and reads of the API are not cached either.
		for (const res of [await call("/api/v1/tenant"), await call("/api/v1/tenant", { headers: bearer(t.access_token) })]) {
			expect(res.headers.get("Cache-Control")).toBe("no-store");
		}
	});

	it("leaves the caching of what is not the API to its route", async () => {
		expect((await call("/health")).headers.get("Cache-Control")).not.toBe("no-store");
	});
});

describe("logs", () => {
	it("a successful ingestion request writes no log line at the shipped level", async () => {
		const t = await registerTenant();
		const lines = await logLines(async () => {
			for (let i = 0; i < 5; i++) {
				const res = await fetchWith({ LOG_LEVEL: "info" }, "/api/v1/ingestion/events", {
					method: "POST",
					headers: { "Content-Type": "application/json", ...keyHeader(t) },
					body: JSON.stringify({ event_type: "api_call", endpoint: "/x", status_code: 200 }),
				});
				expect(res.status).toBe(202);
			}
			const batch = await fetchWith({ LOG_LEVEL: "info" }, "/api/v1/ingestion/events/batch", {
				method: "POST",
				headers: { "Content-Type": "application/json", ...keyHeader(t) },
				body: JSON.stringify({ events: [{ event_type: "custom" }] }),
			});
			expect(batch.status).toBe(200);
		});
		expect(requestLines(lines)).toEqual([]);
		await flush(t.tenant.id);
	});

	it("error answers are logged with the request id, status and path, and never the key", async () => {
		const t = await registerTenant();
		const lines = await logLines(async () => {
			const unauthorized = await fetchWith({ LOG_LEVEL: "info" }, "/api/v1/ingestion/events", {
				method: "POST",
				headers: { "Content-Type": "application/json", "X-API-Key": "ps_not_a_key", "X-Request-Id": "log-test-401-0001" },
				body: "{}",
			});
			expect(unauthorized.status).toBe(401);
			const invalid = await fetchWith({ LOG_LEVEL: "info" }, "/api/v1/ingestion/events", {
				method: "POST",
				headers: { "Content-Type": "application/json", ...keyHeader(t), "X-Request-Id": "log-test-422-0001" },
				body: JSON.stringify({ event_type: "nope" }),
			});
			expect(invalid.status).toBe(422);
		});
		const logged = requestLines(lines);
		expect(logged).toEqual([
			expect.objectContaining({ level: "info", request_id: "log-test-401-0001", status: 401, method: "POST", path: "/api/v1/ingestion/events" }),
			expect.objectContaining({ level: "info", request_id: "log-test-422-0001", status: 422 }),
		]);
		expect(JSON.stringify(lines)).not.toContain(t.api_key.key);
	});

	it("5xx is an error, a slow request a warning whatever its status, other errors info, successes debug", () => {
		expect(requestLogLevel(202, 5, 1000)).toEqual({ level: "debug", slow: false });
		expect(requestLogLevel(200, 1000, 1000)).toEqual({ level: "warn", slow: true });
		expect(requestLogLevel(429, 3, 1000)).toEqual({ level: "info", slow: false });
		expect(requestLogLevel(404, 2500, 1000)).toEqual({ level: "warn", slow: true });
		expect(requestLogLevel(500, 1, 1000)).toEqual({ level: "error", slow: false });
		expect(requestLogLevel(503, 5000, 1000)).toEqual({ level: "error", slow: true });
	});

	it("SLOW_REQUEST_MS sets the bound a request is logged at", async () => {
		// 0 makes every request slow (workerd's clock only moves with I/O, so a bound above 0 is not deterministic here).
		const slow = await logLines(() => fetchWith({ LOG_LEVEL: "info", SLOW_REQUEST_MS: "0" }, "/health", { headers: { "X-Request-Id": "log-test-slow-01" } }));
		expect(requestLines(slow)).toEqual([expect.objectContaining({ level: "warn", msg: "slow request", request_id: "log-test-slow-01", status: 200 })]);
		// Unset or garbage is the default bound (1 s): a quick request is not logged.
		for (const value of [undefined, "", "soon", "-5"]) {
			const quick = await logLines(() => fetchWith({ LOG_LEVEL: "info", SLOW_REQUEST_MS: value }, "/health"));
			expect(requestLines(quick)).toEqual([]);
		}
	});

	it("error answers and slow requests are logged whatever LOG_LEVEL says", async () => {
		const lines = await logLines(async () => {
			await fetchWith({ LOG_LEVEL: "error" }, "/api/v1/nothing-here", { headers: { "X-Request-Id": "log-test-404-error" } });
			await fetchWith({ LOG_LEVEL: "error", SLOW_REQUEST_MS: "0" }, "/health", { headers: { "X-Request-Id": "log-test-slow-error" } });
			await fetchWith({ LOG_LEVEL: "error" }, "/health", { headers: { "X-Request-Id": "log-test-quick-error" } });
		});
		expect(requestLines(lines).map((l) => [l.request_id, l.level])).toEqual([
			["log-test-404-error", "info"],
			["log-test-slow-error", "warn"],
		]);
	});

	it("successful requests are logged at debug level", async () => {
		const lines = await logLines(async () => {
			await fetchWith({ LOG_LEVEL: "debug" }, "/health", { headers: { "X-Request-Id": "log-test-debug-01" } });
		});
		expect(requestLines(lines)).toEqual([expect.objectContaining({ level: "debug", request_id: "log-test-debug-01", status: 200 })]);
	});
});
