import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";

/**
 * npm run dev runs the shipped defaults (wrangler.toml: LOG_LEVEL=info):
 * successful ingestion requests print nothing, error answers print one
 * line each, and every response carries the contract's headers.
 */
const base = inject("baseUrl");
const logPath = inject("devLogPath");

type Registered = { tenant: { id: string }; api_key: { key: string }; access_token: string; refresh_token: string };
let t: Registered;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
	fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });

/** The request lines the Worker printed since `from` (a position in the log file). */
function requestLines(from: number): Record<string, unknown>[] {
	return readFileSync(logPath, "utf8")
		.slice(from)
		.split("\n")
		.flatMap((line) => {
			const start = line.indexOf("{");
			if (start === -1) return [];
			try {
				const parsed = JSON.parse(line.slice(start)) as Record<string, unknown>;
				return parsed.msg === "request" || parsed.msg === "slow request" ? [parsed] : [];
			} catch {
				return [];
			}
		});
}

beforeAll(async () => {
	const slug = `e2e-logs-${Date.now().toString(36)}`;
	const res = await post("/api/v1/auth/register/tenant", { name: "Logs", slug, email: `o@${slug}.test`, password: "end-to-end-password" });
	expect(res.status).toBe(201);
	expect(res.headers.get("cache-control")).toBe("no-store");
	t = (await res.json()) as Registered;
});

describe("logs under npm run dev", () => {
	it("successful ingestion writes no line; each error answer writes one with its request id", async () => {
		const from = readFileSync(logPath, "utf8").length;
		const key = { "X-API-Key": t.api_key.key };
		for (let i = 0; i < 20; i++) {
			expect((await post("/api/v1/ingestion/events", { event_type: "api_call", endpoint: "/logs", status_code: 200 }, key)).status).toBe(202);
		}
		expect((await post("/api/v1/ingestion/events/batch", { events: [{ event_type: "custom" }, { event_type: "custom" }] }, key)).status).toBe(200);
		const bad = await post("/api/v1/ingestion/events", { event_type: "nope" }, { ...key, "X-Request-Id": "e2e-logs-422-request" });
		expect(bad.status).toBe(422);
		// The line of the 422 comes last: once it is there, every earlier request's line would be too.
		let lines: Record<string, unknown>[] = [];
		for (let i = 0; i < 50 && !lines.some((l) => l.request_id === "e2e-logs-422-request"); i++) {
			await new Promise((r) => setTimeout(r, 100));
			lines = requestLines(from);
		}
		expect(lines.filter((l) => l.path?.toString().startsWith("/api/v1/ingestion"))).toEqual([
			expect.objectContaining({ level: "info", status: 422, request_id: "e2e-logs-422-request" }),
		]);
	});
});

describe("headers over HTTP", () => {
	it("nosniff everywhere, the static dashboard files included; no-store on the API", async () => {
		const page = await fetch(`${base}/dashboard`);
		const html = await page.text();
		const asset = /\/dashboard\/assets\/[^"]+\.js/.exec(html)?.[0];
		expect(asset).toBeTruthy();
		const responses = [
			await fetch(`${base}/health`),
			await fetch(`${base}/`),
			page,
			await fetch(`${base}${asset}`),
			await fetch(`${base}/dashboard/assets/no-such-file.js`),
			await fetch(`${base}/docs`),
			await fetch(`${base}/docs/assets/api-reference.js`),
			await fetch(`${base}/api/v1/nothing`),
			await post("/api/v1/auth/refresh", { refresh_token: t.refresh_token }),
		];
		for (const res of responses) expect(res.headers.get("x-content-type-options"), res.url).toBe("nosniff");
		expect(responses.at(-1)!.status).toBe(200);
		expect(responses.at(-1)!.headers.get("cache-control")).toBe("no-store");
		expect(responses.at(-2)!.headers.get("cache-control")).toBe("no-store");
	});
});
