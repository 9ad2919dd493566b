import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Windows, bucketOf, BUCKET_MS } from "../../../src/tenant/alerts/windows";
import { migrate } from "../../../src/tenant/migrations";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import type { IncomingEvent } from "../../../src/tenant/types";
import { tenantObject } from "../../helpers";
import { metricValue } from "../../../src/tenant/alerts/evaluate";
import { rule } from "./fixtures";

function ev(partial: Partial<IncomingEvent> = {}): IncomingEvent {
	return {
		event_id: crypto.randomUUID(),
		event_type: "api_call",
		status_code: 200,
		response_time_ms: 10,
		source: "api",
		endpoint: "/v1/orders",
		method: "GET",
		row: "[]",
		...partial,
	};
}

/** Runs `fn` against a fresh object's real SQLite storage. */
async function withSql<T>(fn: (sql: SqlStorage) => T): Promise<T> {
	const stub = tenantObject(crypto.randomUUID().replaceAll("-", ""));
	return runInDurableObject(stub, (_i: TenantObject, state) => {
		migrate(state.storage.sql);
		return fn(state.storage.sql);
	});
}

describe("rule windows", () => {
	const t0 = bucketOf(1_800_000_000_000) * BUCKET_MS;

	it("slide: events older than the window stop counting (to within 10 s)", async () => {
		await withSql((sql) => {
			const w = new Windows(sql);
			const r = rule({ metric: "event_count", operator: "gt", threshold: 0, window_seconds: 60 });
			w.plan([r], t0);
			w.record([ev(), ev()], t0 + 1_000);
			w.record([ev()], t0 + 25_000);
			expect(w.figures(r, t0 + 30_000)!.count).toBe(3);
			expect(w.figures(r, t0 + 59_000)!.count).toBe(3);
			// 70 s after the first two: they left; the third (at 25 s) is still in.
			expect(w.figures(r, t0 + 71_000)!.count).toBe(1);
			expect(w.figures(r, t0 + 95_000)!.count).toBe(0);
		});
	});

	it("keep a filtered series per filter; a rule sees only matching events", async () => {
		await withSql((sql) => {
			const w = new Windows(sql);
			const all = rule({ metric: "event_count", operator: "gt", threshold: 0 });
			const billing = rule({ metric: "error_rate", operator: "gt", threshold: 0, filter: { source: "billing", method: "POST" } });
			w.plan([all, billing], t0);
			w.record([ev(), ev({ source: "billing", method: "POST", status_code: 503 }), ev({ source: "billing", method: "GET" })], t0);
			expect(w.figures(all, t0)!.count).toBe(3);
			const f = w.figures(billing, t0)!;
			expect([f.count, f.errors]).toEqual([1, 1]);
			expect(metricValue("error_rate", f)).toBe(1);
		});
	});

	it("percentiles of a sliding window stay within the sketch's error as buckets leave it", async () => {
		await withSql((sql) => {
			const w = new Windows(sql);
			const r = rule({ metric: "latency_p95", operator: "gt", threshold: 0, window_seconds: 60 });
			w.plan([r], t0);
			// Slow traffic first, then 60 s of fast traffic: once the slow part left, p95 is the fast one's.
			w.record(Array.from({ length: 500 }, () => ev({ response_time_ms: 2_000 })), t0);
			let before = 0;
			for (let s = 10; s <= 70; s += 10) {
				w.record(Array.from({ length: 100 }, (_, i) => ev({ response_time_ms: i + 1 })), t0 + s * 1000);
				if (s === 20) before = metricValue("latency_p95", w.figures(r, t0 + 20_000)!)!;
			}
			expect(before).toBeGreaterThan(1_900);
			const p95 = metricValue("latency_p95", w.figures(r, t0 + 75_000)!)!;
			expect(Math.abs(p95 - 95) / 95).toBeLessThanOrEqual(0.011);
		});
	});

	it("survive a restart: the sums are rebuilt from stored buckets", async () => {
		await withSql((sql) => {
			const r = rule({ metric: "error_count", operator: "gt", threshold: 0, window_seconds: 120 });
			const w = new Windows(sql);
			w.plan([r], t0);
			w.record([ev({ event_type: "error" })], t0);
			w.record([ev({ event_type: "error" })], t0 + 30_000);
			w.save(t0 + 31_000);
			const again = new Windows(sql);
			again.plan([r], t0 + 40_000);
			expect(again.figures(r, t0 + 40_000)!.errors).toBe(2);
			expect(again.figures(r, t0 + 135_000)!.errors).toBe(1);
		});
	});

	it("a longer window joining a series is covered only from what the series kept", async () => {
		await withSql((sql) => {
			const short = rule({ metric: "event_count", operator: "gt", threshold: 0, window_seconds: 60 });
			const long = rule({ metric: "event_count", operator: "lt", threshold: 1, window_seconds: 3600 });
			const w = new Windows(sql);
			w.plan([short], t0);
			w.record([ev()], t0);
			w.save(t0 + 7_200_000);
			// Two hours later a one-hour rule on the same (unfiltered) series: only 60 s of history was kept.
			const again = new Windows(sql);
			again.plan([short, long], t0 + 7_200_000);
			expect(again.figures(long, t0 + 7_200_000)!.complete).toBe(false);
			expect(again.figures(short, t0 + 7_200_000)!.complete).toBe(true);
			expect(again.figures(long, t0 + 7_200_000 + 3_600_000)!.complete).toBe(true);
		});
	});

	it("a window is incomplete until it has been counted for window_seconds", async () => {
		await withSql((sql) => {
			const w = new Windows(sql);
			const r = rule({ metric: "event_count", operator: "lt", threshold: 1, window_seconds: 60 });
			w.plan([r], t0);
			expect(w.figures(r, t0 + 30_000)!.complete).toBe(false);
			expect(w.figures(r, t0 + 60_000)!.complete).toBe(true);
		});
	});
});
