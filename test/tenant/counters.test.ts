import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, flush, inFreshWindow, ingestBatch, keyHeader, registerTenant, tenantObject } from "../helpers";

/** The last two minutes' counts and percentiles, from the object's RPC surface. */
async function percentiles(tenantId: string) {
	const w = (await tenantObject(tenantId).summary(tenantId, 2))!;
	return { n: w.total_events, e: w.errors, s: w.status_classes, p50: w.latency_ms.p50, p99: w.latency_ms.p99, rate: w.error_rate };
}

describe("windowed counters", () => {
	it("count by type, errors and status classes, and keep latency percentiles", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		const events = [
			...Array.from({ length: 98 }, (_, i) => ({ event_type: "api_call", status_code: 200, response_time_ms: i + 1 })),
			{ event_type: "api_call", status_code: 503, response_time_ms: 1000 },
			{ event_type: "api_call", status_code: 404, response_time_ms: 2000 },
			{ event_type: "error" },
			{ event_type: "user_action" },
		];
		await ingestBatch(t, events);
		const p = await percentiles(t.tenant.id);
		expect(p).toMatchObject({ n: 102, e: 2, s: { "2xx": 98, "3xx": 0, "4xx": 1, "5xx": 1 } });
		expect(p.rate).toBeCloseTo(2 / 102, 10);
		expect(Math.abs(p.p50! - 50) / 50).toBeLessThan(0.02);
		expect(p.p99).toBeGreaterThan(900);
	});

	it("counts survive a restart at once; latency survives it once the flush alarm has run", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		await ingestBatch(t, Array.from({ length: 50 }, (_, i) => ({ event_type: "api_call", status_code: 200, response_time_ms: 10 + i })));
		await flush(t.tenant.id);
		await ingestBatch(t, [{ event_type: "custom" }]);
		await evictDurableObject(tenantObject(t.tenant.id));
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(t) })).json();
		expect(stats).toMatchObject({ total_events: 51, events_last_minute: 51, events_last_hour: 51 });
		const p = await percentiles(t.tenant.id);
		expect(p.n).toBe(51);
		expect(Math.abs(p.p50! - 34) / 34).toBeLessThan(0.02);
	});
});
