import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventually, ingestBatch, registerTenant, runCron, tenantObject } from "../helpers";
import { evaluateNow, objectRows, rule, snapshot, webhook } from "../tenant/alerts/fixtures";

type Stub = ReturnType<typeof tenantObject>;

const tick = (at: number) => runCron("* * * * *", at);
const rows = objectRows;

/** Evaluates now (evaluations are a second apart at most), then copies records to D1. */
async function settle(stub: Stub) {
	await evaluateNow(stub);
	await runDurableObjectAlarm(stub);
}

async function alertWithPolicy(repeat = 0) {
	const t = await registerTenant();
	const stub = tenantObject(t.tenant.id);
	const r = rule({ metric: "error_count", operator: "gt", threshold: 0 }, { channel_ids: ["ch1"], escalation_policy_id: "p1" });
	await stub.configureAlerting(
		t.tenant.id,
		snapshot(1, {
			rules: [r],
			channels: [webhook("ch1"), webhook("ch2"), webhook("ch3")],
			policies: [{ id: "p1", name: "on-call", steps: [{ delay_seconds: 0, channel_ids: ["ch2"] }, { delay_seconds: 300, channel_ids: ["ch3"] }], repeat }],
		}),
	);
	await ingestBatch(t, [{ event_type: "error" }]);
	await settle(stub);
	// The cron finds tenants through D1's copy of their alerts: wait until it is there.
	await eventually(async () => {
		await runDurableObjectAlarm(stub);
		const { results } = await env.DB.prepare("SELECT 1 FROM alerts WHERE tenant_id = ?").bind(t.tenant.id).all();
		return results.length > 0;
	});
	const [alert] = await rows<{ id: string; data: string }>(stub, "SELECT id, data FROM alerts");
	const triggeredAt = (JSON.parse(alert!.data) as { triggered_at: number }).triggered_at;
	const escalations = async () =>
		(await rows<{ channel_id: string }>(stub, "SELECT channel_id FROM notifications WHERE kind = 'escalated' ORDER BY created_at, rowid")).map(
			(r) => r.channel_id,
		);
	const level = async () => (JSON.parse((await rows<{ data: string }>(stub, "SELECT data FROM alerts"))[0]!.data) as { escalation_level: number }).escalation_level;
	return { t, stub, alertId: alert!.id, triggeredAt, escalations, level };
}

describe("the every-minute cron: escalation", () => {
	it("sends step k once when the alert's age reaches the sum of delays up to it", async () => {
		const { triggeredAt, escalations, level } = await alertWithPolicy();
		await tick(triggeredAt + 30_000);
		expect(await escalations()).toEqual(["ch2"]);
		await tick(triggeredAt + 90_000);
		expect(await escalations()).toEqual(["ch2"]);
		await tick(triggeredAt + 299_000);
		expect(await escalations()).toEqual(["ch2"]);
		await tick(triggeredAt + 300_000);
		expect(await escalations()).toEqual(["ch2", "ch3"]);
		expect(await level()).toBe(2);
		await tick(triggeredAt + 3_600_000);
		expect(await escalations()).toEqual(["ch2", "ch3"]);
	});

	it("repeat restarts the steps", async () => {
		const { triggeredAt, escalations } = await alertWithPolicy(1);
		await tick(triggeredAt + 600_000);
		expect(await escalations()).toEqual(["ch2", "ch3", "ch2", "ch3"]);
	});

	it("acknowledging stops it", async () => {
		const { t, stub, alertId, triggeredAt, escalations, level } = await alertWithPolicy();
		await tick(triggeredAt + 1_000);
		await stub.acknowledgeAlert(t.tenant.id, alertId, { user_id: "u", email: "u@example.test" });
		await runDurableObjectAlarm(stub);
		await tick(triggeredAt + 3_600_000);
		expect(await escalations()).toEqual(["ch2"]);
		expect(await level()).toBe(1);
	});

	it("a pending notification whose message was lost is sent again", async () => {
		const { stub, triggeredAt } = await alertWithPolicy();
		const [n] = await rows<{ id: string }>(stub, "SELECT id FROM notifications WHERE kind = 'triggered'");
		// As if its message was lost: pending, sent long ago, no attempt since.
		const longAgo = Date.now() - 10 * 60_000;
		await rows(stub, "UPDATE notifications SET status = 'pending', queued_at = ?1, updated_at = ?1, dirty = 1 WHERE id = ?2", longAgo, n!.id);
		await runDurableObjectAlarm(stub);
		await tick(Math.max(Date.now(), triggeredAt));
		// The object's own alarm sends it again (it may already be running, so wait for it).
		await eventually(async () => {
			await runDurableObjectAlarm(stub);
			const [after] = await rows<{ queued_at: number | null }>(stub, "SELECT queued_at FROM notifications WHERE id = ?", n!.id);
			return (after?.queued_at ?? 0) > longAgo;
		});
	});
});
