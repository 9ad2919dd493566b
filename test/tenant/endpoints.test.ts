import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EndpointWindow } from "../../src/tenant/endpoint-window";
import { Endpoints, KEPT_ENDPOINTS, MEMORY_ENDPOINTS, OTHER } from "../../src/tenant/endpoints";
import type { IncomingEvent } from "../../src/tenant/types";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { inFreshWindow, ingestBatch, registerTenant, tenantObject } from "../helpers";

type Stub = ReturnType<typeof tenantObject>;
type Row = { minute: number; endpoint: string; n: number; e: number };

type Inside = { m: { endpoints: Endpoints; endpointWindow: EndpointWindow } };
const endpointsOf = (instance: TenantObject) => (instance as unknown as Inside).m.endpoints;

function endpointRows(stub: Stub): Promise<Row[]> {
	return runInDurableObject(stub, (_i: TenantObject, state) =>
		state.storage.sql.exec<Row>("SELECT minute, endpoint, n, e FROM endpoint_minutes ORDER BY n DESC, endpoint").toArray(),
	);
}

/** Waits for the next UTC minute when fewer than `ms` of this one are left (the bound is per minute). */
async function minuteWithRoom(ms: number): Promise<void> {
	const left = 60_000 - (Date.now() % 60_000);
	if (left < ms) await new Promise((r) => setTimeout(r, left + 50));
}

/** A 512-character endpoint, distinct per i. */
const longEndpoint = (i: number) => `/v1/items/${i}/`.padEnd(512, "x");

describe("per-endpoint counters", () => {
	it("count calls, errors (status >= 500) and latency per endpoint; only api_calls that name one", async () => {
		const t = await registerTenant();
		await ingestBatch(t, [
			...Array.from({ length: 40 }, (_, i) => ({ event_type: "api_call", endpoint: "/a", status_code: i < 10 ? 500 : 200, response_time_ms: 10 + i })),
			...Array.from({ length: 5 }, () => ({ event_type: "api_call", endpoint: "/b", status_code: 404 })),
			{ event_type: "api_call", endpoint: "", status_code: 500 },
			{ event_type: "error", endpoint: "/a" },
			{ event_type: "user_action", endpoint: "/a" },
		]);
		const o = (await tenantObject(t.tenant.id).overview(t.tenant.id, 60))!;
		expect(o.top_endpoints.map((e) => [e.endpoint, e.count, e.error_rate])).toEqual([
			["/a", 40, 0.25],
			["/b", 5, 0],
		]);
		// The exact p95 of 10..49 is the value at rank floor(0.95 * 39) = 37: 47.
		expect(Math.abs(o.top_endpoints[0]!.p95! - 47) / 47).toBeLessThanOrEqual(0.01);
		expect(o.top_endpoints[1]!.p95).toBeNull();
		expect(o.other_endpoints).toEqual({ count: 0, error_rate: 0, p95: null });
	});

	it("are written by the flush job, not per request, and survive a restart once written", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await inFreshWindow();
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());
		await ingestBatch(t, Array.from({ length: 30 }, () => ({ event_type: "api_call", endpoint: "/kept", status_code: 200, response_time_ms: 5 })));
		expect(await endpointRows(stub)).toEqual([]);
		await runDurableObjectAlarm(stub);
		expect((await endpointRows(stub)).map((r) => [r.endpoint, r.n])).toEqual([["/kept", 30]]);
		await evictDurableObject(stub);
		// After a restart in the same minute, the stored counts are picked up and go on.
		await ingestBatch(t, [{ event_type: "api_call", endpoint: "/kept", status_code: 503, response_time_ms: 5 }]);
		const o = (await stub.overview(t.tenant.id, 5))!;
		expect(o.top_endpoints).toEqual([{ endpoint: "/kept", count: 31, error_rate: 1 / 31, p95: expect.closeTo(5, 0) }]);
		expect(o.total_events).toBe(31);
	});

	it("are bounded: 5,000 distinct endpoints in a minute keep 1,000 in memory and 100 in storage, the rest in other", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await minuteWithRoom(20_000);
		// The first 200 endpoints get 3 calls each, the others one: the busiest are well defined.
		const calls = (i: number) => (i < 200 ? 3 : 1);
		const events = Array.from({ length: 5000 }, (_, i) => i).flatMap((i) =>
			Array.from({ length: calls(i) }, (_, k) => ({ event_type: "api_call", endpoint: longEndpoint(i), status_code: k === 0 && i % 2 ? 500 : 200, response_time_ms: 1 + (i % 50) })),
		);
		const total = events.length;
		for (let i = 0; i < events.length; i += 1000) expect((await ingestBatch(t, events.slice(i, i + 1000))).status).toBe(200);

		const memory = await runInDurableObject(stub, (instance: TenantObject) => {
			const running = endpointsOf(instance).running()!;
			return { size: running.counts.size, other: running.counts.get(OTHER)!.n, sum: [...running.counts.values()].reduce((a, c) => a + c.n, 0) };
		});
		expect(memory.size).toBe(MEMORY_ENDPOINTS + 1);
		expect(memory.sum).toBe(total);
		expect(memory.other).toBe(total - (200 * 3 + (MEMORY_ENDPOINTS - 200)));

		// The minute ends: the flush job compacts it to the busiest endpoints plus other.
		await runInDurableObject(stub, (instance: TenantObject) => endpointsOf(instance).persist(Date.now() + 60_000));
		const rows = await endpointRows(stub);
		expect(rows.length).toBe(KEPT_ENDPOINTS + 1);
		expect(rows.reduce((a, r) => a + r.n, 0)).toBe(total);
		expect(rows.every((r) => r.endpoint === OTHER || r.n === 3)).toBe(true);
		const other = rows.find((r) => r.endpoint === OTHER)!;
		expect(other.n).toBe(total - KEPT_ENDPOINTS * 3);
		expect(rows.reduce((a, r) => a + r.e, 0)).toBe(2500);
		const inMemory = await runInDurableObject(stub, (instance: TenantObject) => endpointsOf(instance).running());
		expect(inMemory).toBeNull();

		// The overview's top ten and other add up with what the stored minute holds.
		const o = (await stub.overview(t.tenant.id, 5))!;
		expect(o.top_endpoints).toHaveLength(10);
		expect(o.top_endpoints.every((e) => e.count === 3 && e.endpoint.length === 512)).toBe(true);
		expect(o.other_endpoints.count).toBe(other.n);
		expect(o.total_events).toBe(total);
	});

	it("a failed ingestion transaction leaves no per-endpoint counts behind", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, [{ event_type: "api_call", endpoint: "/ok", status_code: 200 }]);
		// The next outbox write fails inside the transaction, after the endpoint was counted.
		await runInDurableObject(stub, (_i: TenantObject, state) =>
			state.storage.sql.exec("CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'refused'); END"),
		);
		const res = await ingestBatch(t, [{ event_type: "api_call", endpoint: "/lost", status_code: 200 }]);
		expect(res.status).toBe(500);
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.sql.exec("DROP TRIGGER refuse"));
		const o = (await stub.overview(t.tenant.id, 5))!;
		expect(o.top_endpoints.map((e) => e.endpoint)).not.toContain("/lost");
		expect(o.total_events).toBe(1);
	});

	it("roll a finished hour up once, into its busiest endpoints plus other, the same from memory as from storage", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const MIN = 60_000;
		const hour = Math.floor(Date.now() / 3_600_000) - 3;
		const call = (endpoint: string, ms: number): IncomingEvent => ({
			event_id: "x",
			event_type: "api_call",
			endpoint,
			status_code: ms % 3 === 0 ? 500 : 200,
			response_time_ms: ms,
			source: null,
			method: null,
			row: "[]",
		});
		const read = () =>
			runInDurableObject(stub, (_i: TenantObject, state) =>
				state.storage.sql
					.exec<{ endpoint: string; n: number; e: number; sketch: string | null }>(
						"SELECT endpoint, n, e, sketch FROM endpoint_hours WHERE hour = ? ORDER BY endpoint",
						hour,
					)
					.toArray(),
			);
		const rows = await runInDurableObject(stub, (instance: TenantObject) => {
			const inside = instance as unknown as Inside;
			// Three minutes of the hour, 80 endpoints each, overlapping: 200 distinct in the hour.
			for (const [k, minute] of [5, 20, 59].entries()) {
				const at = hour * 3_600_000 + minute * MIN + 1000;
				for (let i = 0; i < 80; i++) for (let j = 0; j <= (i % 4); j++) inside.m.endpoints.record(call(`/e${k * 60 + i}`, 10 + i + j), at);
			}
			inside.m.endpoints.persist(Date.now());
			return inside.m.endpointWindow.top(hour * 60, hour * 60 + 59, 10, Date.now());
		});
		const fromMemory = await read();
		expect(fromMemory.length).toBe(KEPT_ENDPOINTS + 1);
		const total = fromMemory.reduce((a, r) => a + r.n, 0);
		expect(total).toBe(3 * 20 * (1 + 2 + 3 + 4));
		expect(rows.top.reduce((a, e) => a + e.n, 0) + rows.other.n).toBeLessThanOrEqual(total);
		expect(rows.top.every((e) => e.n === 4 || e.n === 8)).toBe(true);

		// Again from storage alone (as after a restart): the very same rows.
		await runInDurableObject(stub, (instance: TenantObject, state) => {
			state.storage.sql.exec("DELETE FROM endpoint_hours WHERE hour = ?", hour);
			(instance as unknown as Inside).m.endpoints = new Endpoints(state.storage.sql);
			(instance as unknown as Inside).m.endpointWindow.top(hour * 60, hour * 60 + 59, 10, Date.now());
		});
		expect(await read()).toEqual(fromMemory);
	});
});

