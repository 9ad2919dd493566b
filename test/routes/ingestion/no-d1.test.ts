import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import { BASE, countEvents, flush, registerTenant, tenantObject } from "../../helpers";

/** The real D1 binding, with every method call counted (prepare, batch, exec, ...). */
function countingD1(db: D1Database) {
	const calls: string[] = [];
	const proxy = new Proxy(db, {
		get(target, prop, receiver) {
			const value = Reflect.get(target, prop, receiver);
			if (typeof value !== "function") return value;
			return (...args: unknown[]) => {
				calls.push(String(prop));
				return value.apply(target, args);
			};
		},
	});
	return { proxy, calls };
}

describe("the ingestion hot path", () => {
	it("makes no D1 query at all: not for the key, idempotency, rate limit or storage", async () => {
		const t = await registerTenant();
		const { proxy, calls } = countingD1(env.DB);
		const countedEnv = { ...env, DB: proxy } as Env;
		const stub = tenantObject(t.tenant.id);
		// The object's own view of D1 is counted too.
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { env: Env }).env = countedEnv;
		});

		const send = async (path: string, body: unknown) => {
			const ctx = createExecutionContext();
			const res = await worker.fetch(
				new Request(`${BASE}${path}`, {
					method: "POST",
					headers: { "Content-Type": "application/json", "X-API-Key": t.api_key.key },
					body: JSON.stringify(body),
				}),
				countedEnv,
				ctx,
			);
			await waitOnExecutionContext(ctx);
			return res;
		};
		const statuses: number[] = [];
		for (let i = 0; i < 20; i++) {
			statuses.push((await send("/api/v1/ingestion/events", { event_id: `h-${i}`, event_type: "api_call", status_code: 200 })).status);
		}
		statuses.push((await send("/api/v1/ingestion/events", { event_id: "h-0", event_type: "custom" })).status);
		statuses.push((await send("/api/v1/ingestion/events", { event_type: "bad" })).status);
		const batch = await send("/api/v1/ingestion/events/batch", {
			events: Array.from({ length: 100 }, (_, i) => ({ event_id: `hb-${i}`, event_type: "custom" })),
		});
		statuses.push(batch.status);
		expect(statuses).toEqual([...Array(20).fill(202), 200, 422, 200]);
		expect(calls).toEqual([]);

		// The same counter sees the flush: the assertion above could fail.
		await flush(t.tenant.id);
		expect(calls.length).toBeGreaterThan(0);
		expect(await countEvents(t.tenant.id)).toBe(120);
	});
});
