import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import { inFreshWindow, ingestBatch, registerTenant, tenantObject } from "../../helpers";
import { type Json, dash, detailPaths } from "./rest-helpers";

type Point = { t: string; count: number; errors: number; error_rate: number; p50: number | null; p95: number | null; p99: number | null };

const MINUTE = 60_000;
const currentMinute = () => Math.floor(Date.now() / MINUTE);

/** Writes a past minute's counters as the object would have (counts, errors, a latency sketch of one value). */
async function seedMinute(tenantId: string, minute: number, n: number, e: number, latency: number) {
	const GAMMA = 1.01 / 0.99;
	const i = Math.ceil(Math.log(latency) / Math.log(GAMMA));
	const data = { n, t: { api_call: n }, e, s: { "2xx": n - e, "5xx": e }, d: 0, r: 0, rl: 0 };
	const sketch = { n, z: 0, sum: n * latency, min: latency, max: latency, b: { [i]: n } };
	await runInDurableObject(tenantObject(tenantId), (_i: TenantObject, state) => {
		state.storage.sql.exec(
			"INSERT OR REPLACE INTO minutes (minute, data, sketch) VALUES (?, ?, ?)",
			minute,
			JSON.stringify(data),
			JSON.stringify(sketch),
		);
	});
}

describe("GET /dashboard/metrics/real-time", () => {
	it("has every bucket of the window, oldest first, aligned to the bucket, empty ones with zeros and null percentiles", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		await ingestBatch(t, [
			{ event_type: "api_call", status_code: 200, response_time_ms: 10 },
			{ event_type: "api_call", status_code: 500, response_time_ms: 30 },
			{ event_type: "error" },
		]);
		const now = currentMinute();
		await seedMinute(t.tenant.id, now - 30, 8, 2, 100);
		const { status, body } = await dash(t, "/metrics/real-time");
		expect(status).toBe(200);
		expect(body).toMatchObject({ window: "1h", bucket_seconds: 60 });
		const series = body.series as Point[];
		expect(series).toHaveLength(60);
		series.forEach((p, i) => expect(Date.parse(p.t)).toBe((now - 59 + i) * MINUTE));
		const last = series.at(-1)!;
		expect(last).toMatchObject({ count: 3, errors: 2 });
		expect(last.error_rate).toBeCloseTo(2 / 3, 12);
		expect(last.p50).toBeCloseTo(10, 0);
		expect(series[29]).toMatchObject({ count: 8, errors: 2, error_rate: 0.25 });
		expect(Math.abs(series[29]!.p95! - 100)).toBeLessThan(1);
		const empty = series.filter((_, i) => i !== 29 && i !== 59);
		expect(empty.every((p) => p.count === 0 && p.errors === 0 && p.error_rate === 0 && p.p50 === null && p.p95 === null && p.p99 === null)).toBe(true);
	});

	it("sums minutes into larger buckets, finished hours from their rollup", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		const now = currentMinute();
		const hourStart = Math.floor(now / 60) * 60;
		// Two hours ago (a finished hour) and in the running 15-minute bucket's neighbour.
		await seedMinute(t.tenant.id, hourStart - 120 + 5, 4, 1, 50);
		await seedMinute(t.tenant.id, hourStart - 120 + 50, 6, 0, 50);
		const hours = (await dash(t, "/metrics/real-time?window=24h&bucket=3600")).body;
		const hs = hours.series as Point[];
		expect(hs).toHaveLength(24);
		expect(Date.parse(hs.at(-1)!.t)).toBe(hourStart * MINUTE);
		expect(hs.at(-3)).toMatchObject({ count: 10, errors: 1, error_rate: 0.1 });
		expect(hs.reduce((a, p) => a + p.count, 0)).toBe(10);
		// The hour was rolled up once and kept; asked again, the same.
		const rolled = await runInDurableObject(tenantObject(t.tenant.id), (_i: TenantObject, state) =>
			state.storage.sql.exec<{ hour: number }>("SELECT hour FROM hours").toArray(),
		);
		expect(rolled).toEqual([{ hour: hourStart / 60 - 2 }]);
		expect((await dash(t, "/metrics/real-time?window=24h&bucket=3600")).body.series).toEqual(hs);

		const quarters = (await dash(t, "/metrics/real-time?window=6h&bucket=900")).body.series as Point[];
		expect(quarters).toHaveLength(24);
		expect(quarters.reduce((a, p) => a + p.count, 0)).toBe(10);
		for (const p of quarters) expect(Date.parse(p.t) % (15 * MINUTE)).toBe(0);
		expect((await dash(t, "/metrics/real-time?window=15m&bucket=300")).body.series).toHaveLength(3);
		expect((await dash(t, "/metrics/real-time?window=5m&bucket=300")).body.series).toHaveLength(1);
		expect((await dash(t, "/metrics/real-time?window=5m")).body.series).toHaveLength(5);
	});

	it("refuses unknown windows and buckets, and a bucket longer than the window, with 422", async () => {
		const t = await registerTenant();
		for (const [query, path] of [
			["window=7m", "window"],
			["bucket=61", "bucket"],
			["bucket=0", "bucket"],
			["bucket=abc", "bucket"],
			["bucket=60.0", "bucket"],
			["window=5m&bucket=900", "bucket"],
			["window=15m&bucket=3600", "bucket"],
			["window=1h&bucket=7200", "bucket"],
		] as const) {
			const { status, body } = await dash(t, `/metrics/real-time?${query}`);
			expect(status, query).toBe(422);
			expect((body.error as Json).code).toBe("VALIDATION_ERROR");
			expect(detailPaths(body), query).toEqual([path]);
		}
		expect((await dash(t, "/metrics/real-time?window=1h&bucket=3600")).status).toBe(200);
	});
});
