import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LATENCY_BOUNDS_MS, bucketOf } from "../../src/tenant/prom-totals";
import type { PromSnapshot } from "../../src/tenant/prom-view";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { countEvents, flush, ingestBatch, registerTenant, tenantObject } from "../helpers";

const apiCalls = (prefix: string, n: number, endpoint = "/x") =>
	Array.from({ length: n }, (_, i) => ({
		event_id: `${prefix}-${i}`,
		event_type: "api_call",
		endpoint,
		method: "GET",
		status_code: i % 2 ? 200 : 500,
		response_time_ms: 20,
	}));

const calls = (s: PromSnapshot) => s.calls.reduce((n, c) => n + c.n, 0);
const latencyCount = (s: PromSnapshot) => s.latency.reduce((n, l) => n + l.count, 0);

/** Every figure of `later` is at least the one of `earlier` (counters never go back). */
function expectMonotonic(earlier: PromSnapshot, later: PromSnapshot) {
	for (const c of earlier.calls) {
		const now = later.calls.find((x) => x.endpoint === c.endpoint && x.method === c.method && x.status_class === c.status_class);
		expect(now?.n ?? -1).toBeGreaterThanOrEqual(c.n);
	}
	for (const l of earlier.latency) {
		const now = later.latency.find((x) => x.endpoint === l.endpoint)!;
		expect(now.count).toBeGreaterThanOrEqual(l.count);
		expect(now.sum_ms).toBeGreaterThanOrEqual(l.sum_ms);
		l.buckets.forEach((b, i) => expect(now.buckets[i]).toBeGreaterThanOrEqual(b));
	}
	expect(later.errors).toBeGreaterThanOrEqual(earlier.errors);
	for (const [k, v] of Object.entries(earlier.events)) expect(later.events[k as keyof PromSnapshot["events"]]).toBeGreaterThanOrEqual(v);
}

describe("latency buckets", () => {
	it("a value at a bound falls in that bound's bucket; just above it, in the next", () => {
		LATENCY_BOUNDS_MS.forEach((ms, i) => {
			expect(bucketOf(ms)).toBe(i);
			expect(bucketOf(ms + 1e-9)).toBe(i + 1);
		});
		expect(bucketOf(0)).toBe(0);
		expect(bucketOf(10_000.5)).toBe(LATENCY_BOUNDS_MS.length);
	});
});

describe("Prometheus totals in the tenant object", () => {
	it("survive restarts of the object and only grow across flushes", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, apiCalls("m1", 10));
		await flush(t.tenant.id);
		const first = await stub.prometheus(t.tenant.id);
		expect(calls(first)).toBe(10);
		expect(first.errors).toBe(5);
		await evictDurableObject(stub);
		const restarted = await stub.prometheus(t.tenant.id);
		expect(restarted).toEqual(first);
		await ingestBatch(t, apiCalls("m2", 6));
		await flush(t.tenant.id);
		const later = await stub.prometheus(t.tenant.id);
		expectMonotonic(first, later);
		expect(calls(later)).toBe(16);
		expect(latencyCount(later)).toBe(16);
		expect(later.latency[0]!.sum_ms).toBe(16 * 20);
	});

	it("events still buffered at a restart are counted once, when they are flushed", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, apiCalls("buf", 40));
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());
		// Accepted events are counted by type at once; api_call figures wait for the flush.
		const before = await stub.prometheus(t.tenant.id);
		expect(before.events.api_call).toBe(40);
		expect(calls(before)).toBe(0);
		await evictDurableObject(stub);
		await flush(t.tenant.id);
		const after = await stub.prometheus(t.tenant.id);
		expect(calls(after)).toBe(40);
		expect(after.events.api_call).toBe(40);
		await flush(t.tenant.id);
		expect(await stub.prometheus(t.tenant.id)).toEqual(after);
	});

	it("a flush retried after D1 failed, or after D1 committed but its answer was lost, counts every event exactly once", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, apiCalls("retry", 30));
		const down = new Proxy(env.DB, {
			get: () => () => {
				throw new Error("D1 is unavailable");
			},
		});
		// D1 commits the batch, then the answer is lost: the rows stay buffered and are replayed.
		const lost = new Proxy(env.DB, {
			get(target, prop) {
				if (prop === "batch") {
					return async (statements: D1PreparedStatement[]) => {
						await target.batch(statements);
						throw new Error("network connection lost");
					};
				}
				const v = Reflect.get(target, prop);
				return typeof v === "function" ? v.bind(target) : v;
			},
		});
		// The flush job itself, run by hand with each D1 in turn (the timer taken away so it cannot interleave).
		const runWith = (db: D1Database) =>
			runInDurableObject(stub, async (instance: TenantObject, state) => {
				await state.storage.deleteAlarm();
				const o = instance as unknown as { env: Env; m: { flush: { run(id: string, now: number): Promise<{ backoff: boolean }> } } };
				o.env = { ...env, DB: db };
				const { backoff } = await o.m.flush.run(t.tenant.id, Date.now());
				o.env = env;
				return backoff;
			});
		expect(await runWith(down)).toBe(true);
		expect(calls(await stub.prometheus(t.tenant.id))).toBe(0);
		expect(await runWith(lost)).toBe(true);
		expect(await countEvents(t.tenant.id)).toBe(30);
		expect(await stub.pending()).toBe(30);
		expect(calls(await stub.prometheus(t.tenant.id))).toBe(0);
		expect(await runWith(env.DB)).toBe(false);
		expect(await stub.pending()).toBe(0);
		const s = await stub.prometheus(t.tenant.id);
		expect(calls(s)).toBe(30);
		expect(s.errors).toBe(15);
		expect(latencyCount(s)).toBe(30);
		expect(await countEvents(t.tenant.id)).toBe(30);
		await flush(t.tenant.id);
		expect(await stub.prometheus(t.tenant.id)).toEqual(s);
	});

	it("parked events are counted when parked and not again when they come back and reach D1", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, apiCalls("park", 3));
		await runInDurableObject(stub, async (instance: TenantObject, state) => {
			await state.storage.deleteAlarm();
			state.storage.sql.exec("INSERT INTO outbox (n, body) VALUES (1, '[not json')");
			const { outbox } = (instance as unknown as { m: { outbox: import("../../src/tenant/outbox").Outbox } }).m;
			expect(outbox.parkOldest("refused", Date.now())).toBe(3);
			// A body nobody can read counts nothing, and does not block the buffer.
			expect(outbox.parkOldest("refused", Date.now())).toBe(1);
		});
		expect(calls(await stub.prometheus(t.tenant.id))).toBe(3);
		await runInDurableObject(stub, (instance: TenantObject, state) => {
			const { outbox } = (instance as unknown as { m: { outbox: import("../../src/tenant/outbox").Outbox } }).m;
			outbox.unpark(Date.now() + 1);
			state.storage.sql.exec("DELETE FROM outbox WHERE body = '[not json'");
			return state.storage.setAlarm(Date.now());
		});
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(3);
		expect(calls(await stub.prometheus(t.tenant.id))).toBe(3);
	});

	it("a tenant the object does not know answers zeros and creates no storage", async () => {
		const tenantId = "d".repeat(32);
		const s = await tenantObject(tenantId).prometheus(tenantId);
		expect(calls(s)).toBe(0);
		expect(Object.values(s.alerts)).toEqual([0, 0, 0]);
		const tables = await runInDurableObject(tenantObject(tenantId), (_i: TenantObject, state) =>
			state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
		);
		expect(tables).toEqual([]);
	});
});
