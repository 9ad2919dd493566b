import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Endpoints } from "../../src/tenant/endpoints";
import { addValue, emptySketch } from "../../src/tenant/sketch";
import type { IncomingEvent } from "../../src/tenant/types";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { flush, ingestBatch, registerTenant, tenantObject } from "../helpers";

const MINUTE = 60_000;
const ENDPOINTS = 100;

/** A deterministic latency sketch of `n` values around `center` ms (log-normal-ish spread). */
function sketchOf(n: number, center: number, seed: number) {
	const s = emptySketch();
	let x = seed;
	for (let i = 0; i < n; i++) {
		x = (x * 1103515245 + 12345) % 2 ** 31;
		addValue(s, center * Math.exp(((x / 2 ** 31) - 0.5) * 3));
	}
	return JSON.stringify(s);
}

/** Waits for the next UTC minute when fewer than `ms` of this one are left: the figures below are exact per minute. */
async function minuteWithRoom(ms: number): Promise<void> {
	const left = MINUTE - (Date.now() % MINUTE);
	if (left < ms) await new Promise((r) => setTimeout(r, left + 50));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const started = performance.now();
	const value = await fn();
	return { ms: performance.now() - started, value };
}

/**
 * A full day of data written straight into the object's tables (1,439
 * finished minutes of 1,000 api_calls over 100 endpoints, plus a live
 * minute ingested), then the 24-hour overview timed from outside the object
 * (RPC included; the object's own clock does not move while it computes).
 */
describe("dashboard speed", () => {
	it("a 24-hour overview over a full day (1,440 minutes x 100 endpoints) answers well under 100 ms", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await minuteWithRoom(30_000);
		const current = Math.floor(Date.now() / MINUTE);
		// 1,000 latencies a minute: about 250 distinct buckets, as a busy API's minute has.
		const minuteSketch = sketchOf(1000, 80, 7);
		const endpointSketches = Array.from({ length: ENDPOINTS }, (_, i) => sketchOf(10, 20 + i * 3, i + 1));
		const endpoint = (i: number) => `/api/v2/resource-${i.toString().padStart(3, "0")}/{id}`;
		await runInDurableObject(stub, (_i: TenantObject, state) => {
			const sql = state.storage.sql;
			const data = JSON.stringify({ n: 1000, t: { api_call: 1000 }, e: 10, s: { "2xx": 990, "5xx": 10 }, d: 0, r: 0, rl: 0 });
			state.storage.transactionSync(() => {
				for (let minute = current - 1439; minute < current; minute++) {
					sql.exec("INSERT INTO minutes (minute, data, sketch) VALUES (?, ?, ?)", minute, data, minuteSketch);
					for (let i = 0; i < ENDPOINTS; i++) {
						sql.exec(
							"INSERT INTO endpoint_minutes (minute, endpoint, n, e, sketch) VALUES (?, ?, ?, ?, ?)",
							minute,
							endpoint(i),
							10,
							i === 0 ? 10 : 0,
							endpointSketches[i]!,
						);
					}
				}
			});
		});
		// The running minute, live: 1,000 events over the same endpoints.
		await ingestBatch(
			t,
			Array.from({ length: 1000 }, (_, k) => ({ event_type: "api_call", endpoint: endpoint(k % ENDPOINTS), status_code: 200, response_time_ms: 50 })),
		);

		// The flush job is done (its D1 write would otherwise run between the timed calls).
		await flush(t.tenant.id);

		// Cold: no hour is rolled up yet (the flush job would have done it hour by hour); 23 are merged now, once.
		const cold = await timed(() => stub.overview(t.tenant.id, 1440));
		const warm: number[] = [];
		for (let i = 0; i < 15; i++) warm.push((await timed(() => stub.overview(t.tenant.id, 1440))).ms);
		const series60 = await timed(() => stub.metricsSeries(t.tenant.id, 1440, 60));
		const series3600 = await timed(() => stub.metricsSeries(t.tenant.id, 1440, 3600));
		const hour = await timed(() => stub.overview(t.tenant.id, 60));
		// What the flush job pays once an hour: one hour rolled up (counters and endpoints).
		const lastHour = Math.floor(current / 60) - 1;
		await runInDurableObject(stub, (_i: TenantObject, state) => {
			state.storage.sql.exec("DELETE FROM hours WHERE hour = ?", lastHour);
			state.storage.sql.exec("DELETE FROM endpoint_hours WHERE hour = ?", lastHour);
		});
		const oneRollup = await timed(() => stub.overview(t.tenant.id, 1440));
		warm.sort((a, b) => a - b);
		console.log(
			`24h overview: cold (rolls up 23 hours) ${cold.ms.toFixed(1)} ms; warm median ${warm[7]!.toFixed(1)} ms, max ${warm.at(-1)!.toFixed(1)} ms; ` +
				`with one hour to roll up ${oneRollup.ms.toFixed(1)} ms; 1h overview ${hour.ms.toFixed(1)} ms; ` +
				`24h series: 60 s buckets ${series60.ms.toFixed(1)} ms, 3600 s buckets ${series3600.ms.toFixed(1)} ms`,
		);

		expect(Math.floor(Date.now() / MINUTE), "the test ran within one minute").toBe(current);
		const o = cold.value!;
		expect(o.total_events).toBe(1439 * 1000 + 1000);
		expect(o.error_rate).toBeCloseTo((1439 * 10) / o.total_events, 12);
		expect(o.top_endpoints).toHaveLength(10);
		expect(o.top_endpoints.map((e) => e.count)).toEqual(Array(10).fill(1439 * 10 + 10));
		expect(o.top_endpoints[0]).toMatchObject({ endpoint: endpoint(0), error_rate: (1439 * 10) / (1439 * 10 + 10) });
		expect((await stub.overview(t.tenant.id, 1440))!.top_endpoints).toEqual(o.top_endpoints);
		expect(series60.value!.series).toHaveLength(1440);
		// Hour buckets are aligned: the 24 of them start at the hour 23 hours before the running one.
		const hoursCovered = current - Date.parse(series3600.value!.series[0]!.t) / MINUTE + 1;
		expect(series3600.value!.series.reduce((a, p) => a + p.count, 0)).toBe(hoursCovered * 1000);
		expect(warm[7]!).toBeLessThan(100);
	}, 120_000);

	it("the flush job's hourly rollup of 100 endpoints x 60 minutes parses nothing when the object saw the hour", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const hour = Math.floor(Date.now() / 3_600_000) - 1;
		const call = (endpoint: string, ms: number): IncomingEvent => ({
			event_id: "x",
			event_type: "api_call",
			endpoint,
			status_code: 200,
			response_time_ms: ms,
			source: null,
			method: null,
			row: "[]",
		});
		type Inside = { m: { endpoints: Endpoints } };
		await runInDurableObject(stub, (instance: TenantObject) => {
			const { m } = instance as unknown as Inside;
			for (let minute = 0; minute < 60; minute++) {
				for (let i = 0; i < ENDPOINTS * 10; i++) m.endpoints.record(call(`/api/r${i % ENDPOINTS}`, 5 + ((i * 7919) % 400)), (hour * 60 + minute) * MINUTE + i);
			}
			m.endpoints.persist(Date.now());
		});
		const rows = (h: number) =>
			runInDurableObject(stub, (_i: TenantObject, state) =>
				state.storage.sql.exec<{ n: number }>("SELECT n FROM endpoint_hours WHERE hour = ?", h).toArray(),
			);
		const fromMemory = await timed(() => stub.overview(t.tenant.id, 1440));
		expect((await rows(hour)).length).toBe(ENDPOINTS);
		await runInDurableObject(stub, (instance: TenantObject, state) => {
			state.storage.sql.exec("DELETE FROM endpoint_hours");
			(instance as unknown as Inside).m.endpoints = new Endpoints(state.storage.sql);
		});
		const fromStorage = await timed(() => stub.overview(t.tenant.id, 1440));
		console.log(`one hour rolled up: from the merge in memory ${fromMemory.ms.toFixed(1)} ms, from storage (after a restart) ${fromStorage.ms.toFixed(1)} ms`);
		expect(fromStorage.value!.top_endpoints).toEqual(fromMemory.value!.top_endpoints);
		expect(fromMemory.value!.top_endpoints.map((e) => e.count)).toEqual(Array(10).fill(600));
	}, 60_000);
});

