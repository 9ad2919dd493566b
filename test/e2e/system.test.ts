import { beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");

type Registered = { tenant: { id: string }; api_key: { key: string }; access_token: string };
let t: Registered;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(`${base}${path}`, {
		method: "POST",
		headers: { "Content-Type": "application/json", ...headers },
		body: JSON.stringify(body),
	});
}

beforeAll(async () => {
	const res = await post("/api/v1/auth/register/tenant", {
		name: "E2E",
		slug: `e2e-${Date.now().toString(36)}`,
		email: "e2e@example.test",
		password: "end-to-end-password",
	});
	expect(res.status).toBe(201);
	t = (await res.json()) as Registered;
});

describe("npm run dev, over HTTP", () => {
	it("prints how to create a first tenant, and serves health with D1 migrated", async () => {
		expect(inject("devOutput")).toContain("/api/v1/auth/register/tenant");
		const res = await fetch(`${base}/health`);
		expect(await res.json()).toMatchObject({ status: "healthy", checks: { database: "ok" } });
		expect(res.headers.get("x-request-id")).toBeTruthy();
	});

	it("an accepted event is counted at once and searchable within 5 seconds", async () => {
		const key = { "X-API-Key": t.api_key.key };
		const single = await post("/api/v1/ingestion/events", { event_id: "e2e-1", event_type: "api_call", status_code: 500, response_time_ms: 42 }, key);
		expect(single.status).toBe(202);
		expect(single.headers.get("x-ratelimit-limit")).toBe("10000");
		const batch = await post(
			"/api/v1/ingestion/events/batch",
			{ events: [{ event_id: "e2e-2", event_type: "error" }, { event_type: "bogus" }] },
			key,
		);
		expect(await batch.json()).toMatchObject({ accepted: 1, rejected: 1 });
		const accepted = Date.now();

		const stats = await (await fetch(`${base}/api/v1/ingestion/stats`, { headers: key })).json();
		expect(stats).toMatchObject({ total_events: 2, rejected: 1 });

		let found: string[] = [];
		while (Date.now() - accepted < 5_000) {
			const page = (await (await fetch(`${base}/api/v1/ingestion/events/search`, { headers: { Authorization: `Bearer ${t.access_token}` } })).json()) as {
				events: { event_id: string }[];
			};
			found = page.events.map((e) => e.event_id).sort();
			if (found.length === 2) break;
			await new Promise((r) => setTimeout(r, 100));
		}
		expect(found).toEqual(["e2e-1", "e2e-2"]);
		expect(Date.now() - accepted).toBeLessThan(5_000);
	});

	it("answers errors in the envelope, never with a stack trace", async () => {
		const res = await fetch(`${base}/api/v1/ingestion/events`, {
			method: "POST",
			headers: { "Content-Type": "application/json", "X-API-Key": t.api_key.key },
			body: "{not json",
		});
		expect(res.status).toBe(400);
		const body = (await res.json()) as { error: { code: string; request_id: string } };
		expect(body.error.code).toBe("INVALID_JSON");
		expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
		const missing = await fetch(`${base}/nope`);
		expect(missing.status).toBe(404);
	});

	it("the retention Cron Trigger, run through wrangler's scheduled endpoint, deletes expired events", async () => {
		const key = { "X-API-Key": t.api_key.key };
		const old = Date.now() - 100 * 24 * 3600 * 1000;
		expect((await post("/api/v1/ingestion/events", { event_id: "e2e-old", event_type: "custom", timestamp: old }, key)).status).toBe(202);
		const get = () => fetch(`${base}/api/v1/ingestion/events/e2e-old`, { headers: key });
		const started = Date.now();
		while ((await get()).status !== 200 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 100));
		expect((await get()).status).toBe(200);
		// With static assets on, wrangler dev's /cdn-cgi/handler/scheduled reaches the asset router (no
		// scheduled handler); /__scheduled (--test-scheduled, set by global-setup) reaches the Worker.
		const res = await fetch(`${base}/__scheduled?cron=${encodeURIComponent("17 * * * *")}`);
		expect(res.status).toBe(200);
		expect((await get()).status).toBe(404);
		expect((await fetch(`${base}/api/v1/ingestion/events/e2e-1`, { headers: key })).status).toBe(200);
	});
});
