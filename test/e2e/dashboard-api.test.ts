// The dashboard REST routes (API.md, Live dashboard) as `npm run dev` serves them: figures
// computed by the tenant's object from known traffic, both credentials, and the 422s.
import { beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");

type Registered = { tenant: { id: string }; api_key: { key: string }; access_token: string };
let t: Registered;
let other: Registered;

async function get(path: string, headers: Record<string, string>) {
	const res = await fetch(`${base}/api/v1/dashboard/${path}`, { headers });
	return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const byKey = (path: string, who = t) => get(path, { "X-API-Key": who.api_key.key });

async function register(name: string): Promise<Registered> {
	const res = await fetch(`${base}/api/v1/auth/register/tenant`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({
			name,
			slug: `e2e-dash-${name.toLowerCase()}-${Date.now().toString(36)}`,
			email: "dash@example.test",
			password: "end-to-end-password",
		}),
	});
	expect(res.status).toBe(201);
	return (await res.json()) as Registered;
}

beforeAll(async () => {
	t = await register("Dash");
	other = await register("Other");
	// 100 api_calls on two endpoints, latencies 1..100 ms, the last 10 of /pay failing; one error event.
	const events = Array.from({ length: 100 }, (_, i) => ({
		event_id: `d-${i}`,
		event_type: "api_call",
		source: "shop",
		endpoint: i % 2 === 0 ? "/v1/cart" : "/v1/pay",
		method: "GET",
		status_code: i >= 80 && i % 2 === 1 ? 503 : 200,
		response_time_ms: i + 1,
	}));
	events.push({ event_id: "d-err", event_type: "error", source: "shop" } as never);
	const res = await fetch(`${base}/api/v1/ingestion/events/batch`, {
		method: "POST",
		headers: { "Content-Type": "application/json", "X-API-Key": t.api_key.key },
		body: JSON.stringify({ events }),
	});
	expect(res.status).toBe(200);
});

describe("dashboard REST, end to end under npm run dev", () => {
	it("overview: counts, error rate, percentiles within the sketch's error, top endpoints, recent events", async () => {
		const { status, body } = await get("overview?window=5m", { Authorization: `Bearer ${t.access_token}` });
		expect(status).toBe(200);
		expect(body.window).toBe("5m");
		expect(body.total_events).toBe(101);
		expect(body.by_type).toMatchObject({ api_call: 100, error: 1 });
		expect(body.error_rate).toBeCloseTo(11 / 101, 6);
		expect(body.status_classes).toEqual({ "2xx": 90, "3xx": 0, "4xx": 0, "5xx": 10 });
		expect(Math.abs(body.latency_ms.p50 - 50.5) / 50.5).toBeLessThan(0.03);
		expect(Math.abs(body.latency_ms.p99 - 99) / 99).toBeLessThan(0.03);
		const pay = body.top_endpoints.find((e: { endpoint: string }) => e.endpoint === "/v1/pay");
		expect(pay).toMatchObject({ count: 50, error_rate: 0.2 });
		expect(body.recent_events[0].event_id).toBe("d-err");
		expect(body.active_alerts).toBe(0);
		// 10.9% errors: over the 5% of "degraded", under the 25% of "critical".
		expect(body.health.status).toBe("degraded");
	});

	it("events stream, alerts summary, a continuous series and connection stats, with an API key", async () => {
		const stream = await byKey("events/stream?limit=3");
		expect(stream.status).toBe(200);
		expect(stream.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(["d-err", "d-99", "d-98"]);
		expect((await byKey("alerts/summary")).body).toEqual({ active: 0, acknowledged: 0, by_severity: { info: 0, warning: 0, critical: 0 }, recent: [] });
		const series = await byKey("metrics/real-time?window=15m&bucket=60");
		expect(series.status).toBe(200);
		expect(series.body.bucket_seconds).toBe(60);
		expect(series.body.series.length).toBeGreaterThanOrEqual(15);
		expect(series.body.series.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(101);
		expect((await byKey("connections/stats")).body).toEqual({ connections: 0, subscriptions: { events: 0, metrics: 0, alerts: 0 } });
	});

	it("keeps tenants apart, refuses without credentials and answers 422 for out-of-range values", async () => {
		expect((await byKey("overview", other)).body.total_events).toBe(0);
		expect((await get("overview", {})).status).toBe(401);
		for (const q of ["overview?window=7m", "metrics/real-time?bucket=61", "metrics/real-time?window=5m&bucket=3600", "events/stream?limit=201"]) {
			const res = await byKey(q);
			expect(res.status, q).toBe(422);
			expect(res.body.error.code, q).toBe("VALIDATION_ERROR");
		}
	});
});
