import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { NEWEST_EVENTS, RECENT_MAX_EVENTS, RECENT_MAX_UNITS } from "../../src/tenant/recent";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { countEvents, flush, ingestBatch, registerTenant, tenantObject } from "../helpers";

type Stub = ReturnType<typeof tenantObject>;

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
/** Events with increasing timestamps, so the order by time and the order of acceptance agree. */
const events = (from: number, n: number, extra: Record<string, unknown> = {}) =>
	Array.from({ length: n }, (_, i) => ({ event_id: `r-${from + i}`, event_type: "custom", timestamp: T0 + (from + i) * 1000, ...extra }));

async function ids(stub: Stub, tenantId: string, limit = RECENT_MAX_EVENTS) {
	return (await stub.recentEvents(tenantId, limit))!.events.map((e) => e.event_id);
}
const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => `r-${from - i}`);

/** Stops the flush timer, so that accepted events stay in the outbox. */
const holdFlush = (stub: Stub) => runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());

describe("recent events ring", () => {
	it("keeps the newest 200 accepted events, newest first; a duplicate is not in it", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, events(0, 150));
		await ingestBatch(t, [...events(150, 100), { event_id: "r-0", event_type: "custom" }]);
		expect(await ids(stub, t.tenant.id)).toEqual(range(249, 50));
		expect(await ids(stub, t.tenant.id, 3)).toEqual(["r-249", "r-248", "r-247"]);
	});

	it("is bounded in size: large events push old ones out, and are shown without payload and tags", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const big = "x".repeat(300_000);
		await ingestBatch(t, events(0, 5));
		for (let i = 5; i < 15; i++) await ingestBatch(t, events(i, 1, { payload: { big }, tags: { k: "v" } }));
		const { events: shown } = (await stub.recentEvents(t.tenant.id, 200))!;
		expect(shown.length).toBeLessThanOrEqual(Math.ceil(RECENT_MAX_UNITS / 300_000));
		expect(shown.length).toBeGreaterThan(1);
		expect(shown.map((e) => e.event_id)).toEqual(range(14, 15 - shown.length));
		expect(shown[0]).toMatchObject({ payload: null, tags: null, truncated: true, event_type: "custom" });
	});

	it("after a restart, fills once from the outbox and D1, newest first, without doubles", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, events(0, 3));
		await flush(t.tenant.id);
		await holdFlush(stub);
		await ingestBatch(t, events(3, 2));
		expect(await stub.pending()).toBe(2);
		// A flush that D1 committed but the outbox never trimmed: its rows are in both.
		await runInDurableObject(stub, (_i: TenantObject, state) => {
			const rows = state.storage.sql.exec<{ body: string }>("SELECT body FROM outbox").toArray();
			state.storage.sql.exec("INSERT INTO outbox (n, body) VALUES (1, ?)", rows[0]!.body);
		});
		await evictDurableObject(stub);
		expect(await ids(stub, t.tenant.id)).toEqual(range(4, 0));
		expect(await ids(stub, t.tenant.id)).toEqual(range(4, 0));
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(5);
		await evictDurableObject(stub);
		// Everything in D1 now; events accepted before the first read come after them.
		await ingestBatch(t, events(5, 1));
		expect(await ids(stub, t.tenant.id, 10)).toEqual(range(5, 0));
	});

	it("reads D1 with one LIMIT query on the (tenant_id, timestamp, event_id) index, and cuts large events", async () => {
		const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${NEWEST_EVENTS}`).bind("x", 16384, 200).all<{ detail: string }>();
		const details = plan.results.map((r) => r.detail).join("\n");
		expect(details).toMatch(/USING (COVERING )?INDEX events_tenant_time/);
		// The index gives the order too: no sort of the tenant's events.
		expect(details).not.toMatch(/SCAN events|TEMP B-TREE/);

		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, [...events(0, 1, { payload: { big: "y".repeat(40_000) } }), ...events(1, 1, { payload: { small: 1 }, tags: { a: true } })]);
		await flush(t.tenant.id);
		await evictDurableObject(stub);
		const { events: shown } = (await stub.recentEvents(t.tenant.id, 5))!;
		expect(shown).toMatchObject([
			{ event_id: "r-1", payload: { small: 1 }, tags: { a: true }, timestamp: new Date(T0 + 1000).toISOString() },
			{ event_id: "r-0", payload: null, tags: null, truncated: true, timestamp: new Date(T0).toISOString() },
		]);
		expect(shown[0]!.truncated).toBeUndefined();
	});
});
