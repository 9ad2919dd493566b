import { describe, expect, it } from "vitest";
import { addUser, bearer, call, ingestBatch, registerTenant } from "../../helpers";
import { type Json, dash, detailPaths, exactQuantile, within1 } from "./rest-helpers";

/** 150 events of known make-up: 135 api_calls on two endpoints (and none), 5 errors, 7 user actions, 3 custom. */
function knownEvents() {
	const events: Json[] = [];
	for (let i = 0; i < 100; i++) events.push({ event_type: "api_call", endpoint: "/v1/orders", status_code: 200, response_time_ms: i + 1 });
	for (let i = 0; i < 20; i++) events.push({ event_type: "api_call", endpoint: "/v1/users", status_code: 503, response_time_ms: 1000 + i * 10 });
	for (let i = 0; i < 10; i++) events.push({ event_type: "api_call", endpoint: "/v1/users", status_code: 404, response_time_ms: 5 });
	for (let i = 0; i < 5; i++) events.push({ event_type: "api_call", status_code: 301 });
	for (let i = 0; i < 5; i++) events.push({ event_type: "error", source: "billing" });
	for (let i = 0; i < 7; i++) events.push({ event_type: "user_action", user_id: "u1" });
	for (let i = 0; i < 3; i++) events.push({ event_type: "custom", payload: { n: i } });
	return events.map((e, i) => ({ event_id: `known-${i}`, ...e }));
}

const latencies = [
	...Array.from({ length: 100 }, (_, i) => i + 1),
	...Array.from({ length: 20 }, (_, i) => 1000 + i * 10),
	...Array.from({ length: 10 }, () => 5),
];

describe("GET /dashboard/overview", () => {
	it("gives the window's counts, error rate, status classes, percentiles, top endpoints, newest events and health", async () => {
		const t = await registerTenant();
		expect((await ingestBatch(t, knownEvents())).status).toBe(200);
		const { status, body } = await dash(t, "/overview");
		expect(status).toBe(200);
		expect(body).toMatchObject({
			window: "1h",
			total_events: 150,
			by_type: { api_call: 135, error: 5, user_action: 7, custom: 3 },
			status_classes: { "2xx": 100, "3xx": 5, "4xx": 10, "5xx": 20 },
			active_alerts: 0,
			other_endpoints: { count: 0, error_rate: 0, p95: null },
		});
		expect(body.error_rate).toBeCloseTo(25 / 150, 12);
		const latency = body.latency_ms as Record<string, number>;
		expect(latency.avg).toBeCloseTo(latencies.reduce((a, b) => a + b, 0) / latencies.length, 9);
		for (const [k, q] of [["p50", 0.5], ["p95", 0.95], ["p99", 0.99]] as const) {
			expect(within1(latency[k], exactQuantile(latencies, q)), `${k} ${latency[k]} vs ${exactQuantile(latencies, q)}`).toBe(true);
		}

		const top = body.top_endpoints as { endpoint: string; count: number; error_rate: number; p95: number }[];
		expect(top.map((e) => [e.endpoint, e.count])).toEqual([["/v1/orders", 100], ["/v1/users", 30]]);
		expect(top[0]!.error_rate).toBe(0);
		expect(within1(top[0]!.p95, 95)).toBe(true);
		expect(top[1]!.error_rate).toBeCloseTo(20 / 30, 12);
		expect(within1(top[1]!.p95, exactQuantile([...Array(10).fill(5), ...latencies.slice(100, 120)], 0.95))).toBe(true);

		const recent = body.recent_events as Json[];
		expect(recent.map((e) => e.event_id)).toEqual(Array.from({ length: 10 }, (_, i) => `known-${149 - i}`));
		expect(recent[0]).toMatchObject({ event_type: "custom", payload: { n: 2 }, severity: "info", tags: null });
		expect(recent[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		expect(recent[0]!.received_at).toEqual(expect.any(String));

		// 25 errors in 150 events: 16.7% is past the 5% of degraded, short of the 25% of critical.
		expect(body.health).toEqual({ status: "degraded", reasons: [expect.stringMatching(/error rate 16\.7%/)] });
	});

	it("echoes the window as given, defaults to 1h, and refuses an unknown one with 422", async () => {
		const t = await registerTenant();
		await ingestBatch(t, [{ event_type: "custom" }]);
		for (const w of ["5m", "15m", "1h", "6h", "24h"]) {
			const { status, body } = await dash(t, `/overview?window=${w}`);
			expect(status).toBe(200);
			expect(body).toMatchObject({ window: w, total_events: 1 });
		}
		for (const w of ["7m", "1d", "", "60", "1H"]) {
			const { status, body } = await dash(t, `/overview?window=${w}`);
			expect(status, w).toBe(422);
			expect((body.error as Json).code).toBe("VALIDATION_ERROR");
			expect(detailPaths(body)).toEqual(["window"]);
		}
	});

	it("is healthy with no data, with every figure present", async () => {
		const t = await registerTenant();
		const { body } = await dash(t, "/overview?window=5m");
		expect(body).toEqual({
			window: "5m",
			total_events: 0,
			by_type: { api_call: 0, error: 0, user_action: 0, custom: 0 },
			error_rate: 0,
			latency_ms: { avg: null, p50: null, p95: null, p99: null },
			status_classes: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
			top_endpoints: [],
			other_endpoints: { count: 0, error_rate: 0, p95: null },
			active_alerts: 0,
			recent_events: [],
			health: { status: "healthy", reasons: [] },
		});
	});

	it("is critical at an error rate of 25% or more, but not on a handful of events", async () => {
		const t = await registerTenant();
		await ingestBatch(t, Array.from({ length: 3 }, () => ({ event_type: "error" })));
		expect((await dash(t, "/overview")).body.health).toEqual({ status: "healthy", reasons: [] });
		await ingestBatch(t, [...Array.from({ length: 7 }, () => ({ event_type: "error" })), ...Array.from({ length: 30 }, () => ({ event_type: "custom" }))]);
		const { body } = await dash(t, "/overview");
		expect(body.error_rate).toBeCloseTo(10 / 40, 12);
		expect(body.health).toMatchObject({ status: "critical", reasons: [expect.stringMatching(/error rate 25\.0%/)] });
	});
});

describe("dashboard auth", () => {
	const routes = ["/overview", "/events/stream", "/alerts/summary", "/metrics/real-time"];

	it("401 without credentials or with bad ones, on every route", async () => {
		for (const path of routes) {
			expect((await dash(null, path)).status, path).toBe(401);
			const res = await call(`/api/v1/dashboard${path}`, { headers: { "X-API-Key": "ps_garbage" } });
			expect(res.status).toBe(401);
			const badToken = await call(`/api/v1/dashboard${path}`, { headers: bearer("not.a.jwt") });
			expect(badToken.status).toBe(401);
		}
	});

	it("a user token (any role) and an API key both read; another tenant's data is never visible", async () => {
		const a = await registerTenant();
		const b = await registerTenant();
		await ingestBatch(a, [{ event_id: "a-only", event_type: "api_call", endpoint: "/a", status_code: 500, response_time_ms: 3 }]);
		const viewer = await addUser(a, "viewer");
		for (const path of routes) {
			const byKey = await dash(a, path);
			const byUser = await dash(a, path, "user");
			const byViewer = await call(`/api/v1/dashboard${path}`, { headers: bearer(viewer.access_token) });
			expect([byKey.status, byUser.status, byViewer.status], path).toEqual([200, 200, 200]);
		}
		const overviewA = (await dash(a, "/overview", "user")).body;
		expect(overviewA).toMatchObject({ total_events: 1, top_endpoints: [{ endpoint: "/a", count: 1 }] });
		for (const as of ["key", "user"] as const) {
			const overviewB = (await dash(b, "/overview", as)).body;
			expect(overviewB).toMatchObject({ total_events: 0, top_endpoints: [], recent_events: [] });
			expect((await dash(b, "/events/stream", as)).body).toEqual({ events: [] });
			const series = (await dash(b, "/metrics/real-time", as)).body.series as { count: number }[];
			expect(series.every((p) => p.count === 0)).toBe(true);
		}
	});
});
