import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { call, flush, countEvents, ingest, keyHeader, patchTenant, registerTenant, tenantObject } from "../helpers";

/** As if the registration hand-over never reached the object: no storage at all. */
async function wipe(tenantId: string) {
	const stub = tenantObject(tenantId);
	await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAll());
	await evictDurableObject(stub);
}

describe("an object that lost (or never got) its tenant", () => {
	it("loads the tenant and its keys from D1 on the first request", async () => {
		const t = await registerTenant();
		await wipe(t.tenant.id);
		expect((await ingest(t, { event_id: "after-wipe", event_type: "custom" })).status).toBe(202);
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(1);
	});

	it("a PATCH reaching it first does not lock its keys out", async () => {
		const t = await registerTenant();
		await wipe(t.tenant.id);
		expect((await patchTenant(t, { rate_limit_per_minute: 77 })).status).toBe(200);
		const res = await ingest(t, { event_type: "custom" });
		expect(res.status).toBe(202);
		expect(res.headers.get("X-RateLimit-Limit")).toBe("77");
	});

	it("stats for a tenant the object does not know are zeros, without creating storage", async () => {
		const tenantId = "e".repeat(32);
		const stats = await tenantObject(tenantId).stats(tenantId);
		expect(stats.total_events).toBe(0);
		const tables = await runInDurableObject(tenantObject(tenantId), (_i: TenantObject, state) =>
			state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
		);
		expect(tables).toEqual([]);
	});
});

describe("rate-limit headers", () => {
	it("are on every ingestion response once the key is accepted: 400, 413, 415, 422 included", async () => {
		const t = await registerTenant();
		const send = (body: string, type = "application/json") =>
			call("/api/v1/ingestion/events", { method: "POST", headers: { ...keyHeader(t), "Content-Type": type }, body });
		for (const [res, status] of [
			[await send("{"), 400],
			[await send(JSON.stringify({ event_type: "custom", payload: { b: "x".repeat(1024 * 1024) } })), 413],
			[await send("a,b", "text/csv"), 415],
			[await send(JSON.stringify({ event_type: "nope" })), 422],
		] as const) {
			expect(res.status).toBe(status);
			expect(res.headers.get("X-RateLimit-Limit"), String(status)).toBe("10000");
			expect(res.headers.get("X-RateLimit-Remaining")).toBe("10000");
			expect(res.headers.get("X-RateLimit-Reset")).toMatch(/^\d+$/);
		}
	});
});
