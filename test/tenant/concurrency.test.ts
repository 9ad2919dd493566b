import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/lib/api-key";
import { Outbox } from "../../src/tenant/outbox";
import type { TenantObject } from "../../src/tenant/tenant-object";
import {
	countEvents,
	errorOf,
	eventually,
	flush,
	inFreshWindow,
	ingest,
	ingestBatch,
	patchTenant,
	registerTenant,
	tenantObject,
} from "../helpers";

describe("the tenant object serializes what must be exact", () => {
	it("60 concurrent events against a limit of 50: exactly 50 accepted, 10 RATE_LIMITED", async () => {
		const t = await registerTenant();
		expect((await patchTenant(t, { rate_limit_per_minute: 50 })).status).toBe(200);
		await inFreshWindow();
		const responses = await Promise.all(
			Array.from({ length: 60 }, (_, i) => ingest(t, { event_id: `c-${i}`, event_type: "custom" })),
		);
		const statuses = responses.map((r) => r.status);
		expect(statuses.filter((s) => s === 202)).toHaveLength(50);
		expect(statuses.filter((s) => s === 429)).toHaveLength(10);
		for (const res of responses.filter((r) => r.status === 429)) {
			expect((await errorOf(res)).code).toBe("RATE_LIMITED");
			expect(res.headers.get("Retry-After")).toBeTruthy();
			expect(res.headers.get("X-RateLimit-Remaining")).toBe("0");
		}
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(50);
	});

	it("a new limit applies to the very next ingestion request", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		expect((await ingest(t, { event_type: "custom" })).status).toBe(202);
		expect((await patchTenant(t, { rate_limit_per_minute: 1 })).status).toBe(200);
		const res = await ingest(t, { event_type: "custom" });
		expect(res.status).toBe(429);
		expect(res.headers.get("X-RateLimit-Limit")).toBe("1");
		expect((await patchTenant(t, { rate_limit_per_minute: 100 })).status).toBe(200);
		expect((await ingest(t, { event_type: "custom" })).status).toBe(202);
	});

	it("10 concurrent copies of one event_id: one accepted, nine duplicates, one stored row", async () => {
		const t = await registerTenant();
		const responses = await Promise.all(
			Array.from({ length: 10 }, () => ingest(t, { event_id: "same-instant", event_type: "custom" })),
		);
		const statuses = responses.map((r) => r.status).sort();
		expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(1);
	});

	it("idempotency survives a restart of the object", async () => {
		const t = await registerTenant();
		expect((await ingest(t, { event_id: "across-restart", event_type: "custom" })).status).toBe(202);
		await evictDurableObject(tenantObject(t.tenant.id));
		const again = await ingest(t, { event_id: "across-restart", event_type: "custom" });
		expect(again.status).toBe(200);
		expect(await again.json()).toMatchObject({ status: "duplicate" });
	});

	it("an object restarted between acknowledging and flushing still delivers every event to D1 exactly once", async () => {
		const t = await registerTenant();
		const events = Array.from({ length: 300 }, (_, i) => ({ event_id: `r-${i}`, event_type: "custom" }));
		expect((await (await ingestBatch(t, events)).json<{ accepted: number }>()).accepted).toBe(300);
		const stub = tenantObject(t.tenant.id);
		expect(await stub.pending()).toBe(300);
		// Take the flush timer away so the restart, not the timer, decides: the
		// restarted object must find its buffer and schedule the flush itself.
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());
		await evictDurableObject(stub);
		expect(await countEvents(t.tenant.id)).toBe(0);
		// Waking it is enough: it finds its buffer and flushes on its own.
		await stub.pending();
		await eventually(async () => (await countEvents(t.tenant.id)) === 300);
		await eventually(async () => (await stub.pending()) === 0);
		expect(await countEvents(t.tenant.id)).toBe(300);
	});

	it("a flush that committed to D1 but died before trimming its buffer replays without doubling", async () => {
		const t = await registerTenant();
		const events = Array.from({ length: 50 }, (_, i) => ({ event_id: `crash-${i}`, event_type: "api_call", status_code: 200 }));
		await ingestBatch(t, events);
		const stub = tenantObject(t.tenant.id);
		// Commit the buffered rows to D1 the way the flush does, but leave the buffer as if the object died right after.
		await runInDurableObject(stub, async (_instance: TenantObject, state) => {
			await state.storage.deleteAlarm();
			state.storage.sql.exec("CREATE TABLE IF NOT EXISTS outbox_copy AS SELECT * FROM outbox");
			expect(await new Outbox(state.storage.sql).flush(env.DB, t.tenant.id)).toBe(50);
			state.storage.sql.exec("INSERT INTO outbox (seq, n, body) SELECT seq, n, body FROM outbox_copy");
			state.storage.sql.exec("DROP TABLE outbox_copy");
		});
		expect(await countEvents(t.tenant.id)).toBe(50);
		await evictDurableObject(stub);
		// The restarted object replays its buffer into D1 by itself; nothing doubles.
		await eventually(async () => (await stub.pending()) === 0);
		expect(await countEvents(t.tenant.id)).toBe(50);
	});

	it("the alarm flushes on its own: accepted events reach D1 well within 5 seconds", async () => {
		const t = await registerTenant();
		await ingest(t, { event_id: "timer", event_type: "custom" });
		const started = Date.now();
		while ((await countEvents(t.tenant.id)) === 0 && Date.now() - started < 5_000) {
			await new Promise((r) => setTimeout(r, 50));
		}
		expect(await countEvents(t.tenant.id)).toBe(1);
		expect(Date.now() - started).toBeLessThan(5_000);
	});

	it("a buffered row D1 refuses is parked after repeated failures; the rows behind it still reach D1", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestBatch(t, [{ event_id: "before", event_type: "custom" }]);
		await runInDurableObject(stub, (_i: TenantObject, state) => {
			state.storage.sql.exec("DELETE FROM outbox");
			// A row no D1 statement can read, ahead of good ones.
			state.storage.sql.exec("INSERT INTO outbox (n, body) VALUES (1, '[not json')");
		});
		await ingestBatch(t, [{ event_id: "after-1", event_type: "custom" }, { event_id: "after-2", event_type: "custom" }]);
		await flush(t.tenant.id);
		expect(await stub.pending()).toBe(0);
		expect(await countEvents(t.tenant.id)).toBe(2);
		const stats = await stub.stats(t.tenant.id);
		expect(stats.parked_events).toBe(1);
	});

	it("while D1 is down, the flush backs off, and new events do not pull the retry earlier", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const down = new Proxy(env.DB, {
			get: () => () => {
				throw new Error("D1 is unavailable");
			},
		});
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { env: Env }).env = { ...env, DB: down };
		});
		await ingestBatch(t, [{ event_id: "during-outage-1", event_type: "custom" }]);
		await runDurableObjectAlarm(stub);
		const alarmAt = async () => runInDurableObject(stub, (_i: TenantObject, state) => state.storage.getAlarm());
		const retry = (await alarmAt())!;
		expect(retry).toBeGreaterThanOrEqual(Date.now() + 4_000);
		await ingestBatch(t, [{ event_id: "during-outage-2", event_type: "custom" }]);
		expect(await alarmAt()).toBe(retry);
		// D1 back: the next run delivers both.
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { env: Env }).env = env;
		});
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(2);
	});

	it("an older settings version arriving late does not undo a newer one", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const base = { tenantId: t.tenant.id, slug: t.tenant.slug, retentionDays: 30 };
		await stub.configure({ ...base, rateLimitPerMinute: 200, version: 3 });
		await stub.configure({ ...base, rateLimitPerMinute: 100, version: 2 });
		expect((await stub.stats(t.tenant.id)).rate_limit_per_minute).toBe(200);
	});

	it("a key we tagged for a tenant that does not exist is 401 and creates no storage", async () => {
		// Tagged by our own secret, so it passes the edge and reaches the object (a made-up key never
		// does: test/routes/forged-keys.test.ts): the object's recovery path must stay empty too.
		const tenantId = "f".repeat(32);
		const { key } = await generateApiKey(env, tenantId);
		const res = await ingest({ api_key: { key } } as never, { event_type: "custom" });
		expect(res.status).toBe(401);
		const tables = await runInDurableObject(tenantObject(tenantId), (_i: TenantObject, state) =>
			state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
		);
		expect(tables).toEqual([]);
	});
});
