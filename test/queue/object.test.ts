import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { NotifyMessage } from "../../src/alerting/types";
import { ALERTS_DLQ_NAME, ALERTS_QUEUE_NAME, MAX_ATTEMPTS, queue } from "../../src/queue";
import type { TenantObject } from "../../src/tenant/tenant-object";
import { eventually, registerTenant, tenantObject } from "../helpers";
import { snapshot, webhook } from "../tenant/alerts/fixtures";
import { RECEIVER, bucket, receivedBy } from "./receiver";

type Stub = ReturnType<typeof tenantObject>;
type Row = { status: string; attempts: number; last_error: string | null; delivered_at: number | null };

/**
 * A tenant with one webhook channel and a test notification recorded in its
 * real object, marked as already queued so that only this test's batches
 * deliver it (the Worker's own consumer runs in this suite too).
 */
async function recorded(url: string): Promise<{ tenantId: string; stub: Stub; id: string }> {
	const t = await registerTenant();
	const stub = tenantObject(t.tenant.id);
	await stub.configureAlerting(t.tenant.id, snapshot(1, { channels: [webhook("ch", url)] }));
	const id = await runInDurableObject(stub, (instance: TenantObject) => {
		const { alerting } = (instance as unknown as { m: { alerting: import("../../src/tenant/alerts/alerting").Alerting } }).m;
		const id = alerting.test("ch", Date.now())!;
		alerting.notifications.markQueued([id], Date.now());
		return id;
	});
	return { tenantId: t.tenant.id, stub, id };
}

const row = (stub: Stub, id: string) =>
	runInDurableObject(stub, (_i: TenantObject, state) => state.storage.sql.exec<Row>("SELECT status, attempts, last_error, delivered_at FROM notifications WHERE id = ?", id).one());

/** One consumer run on one message (delivery number `attempts`), against the real object. */
async function deliverOnce(queueName: string, tenantId: string, id: string, attempts: number) {
	const batch = createMessageBatch<NotifyMessage>(queueName, [{ id: `m-${attempts}`, timestamp: new Date(), attempts, body: { t: tenantId, n: id } }]);
	const retry = vi.spyOn(batch.messages[0]!, "retry");
	const ctx = createExecutionContext();
	await queue(batch, env, ctx);
	const result = await getQueueResult(batch, ctx);
	return { acked: result.explicitAcks.length === 1, delay: retry.mock.calls[0]?.[0]?.delaySeconds ?? null };
}

describe("the queue consumer with the real tenant object", () => {
	it("a receiver that fails twice then succeeds: two retries with backoff, then delivered with 3 attempts", async () => {
		const b = bucket("obj-flaky");
		const { tenantId, stub, id } = await recorded(`${RECEIVER}/fail-times/2/${b}`);
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 1)).toEqual({ acked: false, delay: 2 });
		expect(await row(stub, id)).toMatchObject({ status: "pending", attempts: 1, last_error: "HTTP 503: failure 1" });
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 2)).toEqual({ acked: false, delay: 4 });
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 3)).toEqual({ acked: true, delay: null });
		expect(await row(stub, id)).toMatchObject({ status: "delivered", attempts: 3, delivered_at: expect.any(Number) });
		const got = await receivedBy(b);
		expect(got).toHaveLength(3);
		// The delivery id is stable across retries.
		expect(new Set(got.map((r) => r.headers["x-pulsestream-delivery"]))).toEqual(new Set([id]));
		// A duplicate message after delivery sends nothing more.
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 1)).toEqual({ acked: true, delay: null });
		expect(await receivedBy(b)).toHaveLength(3);
	});

	it("a receiver that always fails: failed after the last attempt, its error kept through the dead letter; D1 shows it", async () => {
		const b = bucket("obj-down");
		const { tenantId, stub, id } = await recorded(`${RECEIVER}/status/503/${b}`);
		for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
			expect((await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, attempt)).acked).toBe(false);
		}
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, MAX_ATTEMPTS)).toEqual({ acked: true, delay: null });
		expect(await row(stub, id)).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, last_error: "HTTP 503: receiver answered 503" });
		// A late dead letter changes nothing.
		expect((await deliverOnce(ALERTS_DLQ_NAME, tenantId, id, 1)).acked).toBe(true);
		expect(await row(stub, id)).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, last_error: "HTTP 503: receiver answered 503" });
		await eventually(async () => {
			const inD1 = await env.DB.prepare("SELECT status, attempts, last_error FROM notifications WHERE id = ?").bind(id).first();
			return inD1?.status === "failed" && inD1.attempts === MAX_ATTEMPTS && inD1.last_error === "HTTP 503: receiver answered 503";
		});
	});

	it("a dead letter for a notification still pending marks it failed and keeps its last error", async () => {
		const b = bucket("obj-dlq");
		const { tenantId, stub, id } = await recorded(`${RECEIVER}/status/500/${b}`);
		await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 1);
		expect((await deliverOnce(ALERTS_DLQ_NAME, tenantId, id, 1)).acked).toBe(true);
		expect(await row(stub, id)).toMatchObject({ status: "failed", attempts: 1, last_error: "HTTP 500: receiver answered 500" });
	});

	it("a message for a notification whose attempt is in flight elsewhere is retried later, not sent", async () => {
		const b = bucket("obj-busy");
		const { tenantId, stub, id } = await recorded(`${RECEIVER}/ok/${b}`);
		expect(await stub.delivery(id)).toMatchObject({ notification_id: id });
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 1)).toEqual({ acked: false, delay: 2 });
		expect(await receivedBy(b)).toHaveLength(0);
		expect((await row(stub, id)).status).toBe("pending");
	});

	it("a redirecting receiver is a permanent failure, not followed", async () => {
		const b = bucket("obj-redirect");
		const { tenantId, stub, id } = await recorded(`${RECEIVER}/redirect/${b}`);
		expect(await deliverOnce(ALERTS_QUEUE_NAME, tenantId, id, 1)).toEqual({ acked: true, delay: null });
		expect((await row(stub, id)).status).toBe("failed");
		expect(await receivedBy(`${b}-followed`)).toHaveLength(0);
	});
});
