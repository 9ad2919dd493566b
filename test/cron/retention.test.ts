import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RETENTION_BATCH, enforceRetention } from "../../src/cron/retention";
import worker from "../../src/index";
import { countEvents, patchTenant, registerTenant } from "../helpers";

const DAY = 24 * 3600 * 1000;

async function seed(tenantId: string, ageDays: number[], now: number) {
	const rows = ageDays.map((age, i) => ({
		event_id: `ret-${age}-${i}`,
		event_type: "custom",
		timestamp: now - age * DAY,
		received_at: now,
		severity: "info",
	}));
	await env.DB.prepare(
		`INSERT INTO events (tenant_id, event_id, event_type, timestamp, received_at, severity)
		 SELECT ?1, json_extract(value,'$.event_id'), json_extract(value,'$.event_type'), json_extract(value,'$.timestamp'),
		        json_extract(value,'$.received_at'), json_extract(value,'$.severity') FROM json_each(?2)`,
	)
		.bind(tenantId, JSON.stringify(rows))
		.run();
}

describe("retention", () => {
	it("deletes events older than each tenant's retention_days and keeps the rest", async () => {
		const now = Date.now();
		const [short, long] = await Promise.all([registerTenant(), registerTenant()]);
		expect((await patchTenant(short, { retention_days: 7 })).status).toBe(200);
		await seed(short.tenant.id, [1, 6, 8, 40], now);
		await seed(long.tenant.id, [1, 6, 8, 29, 31, 40], now);
		await enforceRetention(env, { now });
		expect(await countEvents(short.tenant.id)).toBe(2);
		expect(await countEvents(long.tenant.id)).toBe(4);
	});

	it("deletes in bounded batches until nothing old is left", async () => {
		const now = Date.now();
		const t = await registerTenant();
		await seed(t.tenant.id, Array(RETENTION_BATCH * 2 + 10).fill(45), now);
		await seed(t.tenant.id, [0, 1], now);
		expect(await enforceRetention(env, { now })).toBeGreaterThanOrEqual(RETENTION_BATCH * 2 + 10);
		expect(await countEvents(t.tenant.id)).toBe(2);
	});

	it("runs from the hourly Cron Trigger", async () => {
		const t = await registerTenant();
		const now = Date.now();
		await seed(t.tenant.id, [100, 0], now);
		const controller = createScheduledController({ scheduledTime: new Date(now), cron: "17 * * * *" });
		const ctx = createExecutionContext();
		await worker.scheduled(controller, env, ctx);
		await waitOnExecutionContext(ctx);
		expect(await countEvents(t.tenant.id)).toBe(1);
	});

	it("a run that spends its query budget leaves a cursor, and minute ticks finish the pass", async () => {
		const now = Date.now();
		const tenants = await Promise.all(Array.from({ length: 6 }, () => registerTenant()));
		for (const t of tenants) await seed(t.tenant.id, [90, 0], now);
		// A budget of 4 queries reaches at most one tenant per run.
		let runs = 1;
		await enforceRetention(env, { now, budget: 4 });
		const state = await env.DB.prepare("SELECT cursor FROM job_state WHERE name = 'retention'").first();
		expect(state).not.toBeNull();
		while ((await env.DB.prepare("SELECT 1 FROM job_state WHERE name = 'retention'").first()) && runs < 10_000) {
			await enforceRetention(env, { now, budget: 4, continueOnly: true });
			runs++;
		}
		expect(runs).toBeGreaterThan(tenants.length);
		for (const t of tenants) expect(await countEvents(t.tenant.id)).toBe(1);
		// With no pass in progress, a minute tick does nothing.
		expect(await enforceRetention(env, { now, continueOnly: true })).toBe(0);
	});
});
