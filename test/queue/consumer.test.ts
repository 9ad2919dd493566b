import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { AttemptResult, Channel, Delivery, NotifyMessage } from "../../src/alerting/types";
import { ALERTS_DLQ_NAME, ALERTS_QUEUE_NAME, MAX_ATTEMPTS, backoff, decide, queue } from "../../src/queue";
import { DLQ_MAX_ATTEMPTS, isDeadLetter } from "../../src/queue/dlq";
import { sampleDelivery } from "./fixtures";
import { RECEIVER, bucket, receivedBy } from "./receiver";

describe("retry decisions", () => {
	it("backs off exponentially from 2 s, capped at 60 s", () => {
		expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoff)).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
		expect(backoff(0)).toBe(2);
	});

	it("acks a success, retries a retryable failure, ends on a permanent one or the last attempt", () => {
		const retryable: AttemptResult = { ok: false, error: "HTTP 503" };
		expect(decide({ ok: true }, 1)).toEqual({ final: false, retryAfter: null });
		expect(decide({ ok: true }, MAX_ATTEMPTS)).toEqual({ final: false, retryAfter: null });
		for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
			expect(decide(retryable, attempt)).toEqual({ final: false, retryAfter: backoff(attempt) });
		}
		expect(decide(retryable, MAX_ATTEMPTS)).toEqual({ final: true, retryAfter: null });
		expect(decide(retryable, MAX_ATTEMPTS + 3)).toEqual({ final: true, retryAfter: null });
		expect(decide({ ok: false, error: "HTTP 404", permanent: true }, 1)).toEqual({ final: true, retryAfter: null });
	});

	it("makes at least 5 retries, the first within 5 s, and gives up before the platform does", () => {
		expect(MAX_ATTEMPTS - 1).toBeGreaterThanOrEqual(5);
		expect(backoff(1)).toBeLessThanOrEqual(5);
		const consumer = (name: string) => {
			const sections = env.TEST_WRANGLER_TOML.split("[[queues.consumers]]").slice(1);
			const section = sections.find((s) => new RegExp(`^queue\\s*=\\s*"${name}"`, "m").test(s))!;
			expect(section, `a consumer for ${name} in wrangler.toml`).toBeDefined();
			const value = (key: string) => Number(new RegExp(`^${key}\\s*=\\s*(\\d+)`, "m").exec(section)?.[1]);
			return { maxRetries: value("max_retries"), retryDelay: value("retry_delay"), batch: value("max_batch_size"), dlq: /dead_letter_queue\s*=\s*"([^"]+)"/.exec(section)?.[1] };
		};
		const main = consumer(ALERTS_QUEUE_NAME);
		// The platform delivers max_retries + 1 times; our final decision must come first.
		expect(MAX_ATTEMPTS).toBeLessThanOrEqual(main.maxRetries + 1);
		expect(main.retryDelay).toBe(backoff(1));
		expect(main.dlq).toBe(ALERTS_DLQ_NAME);
		expect(DLQ_MAX_ATTEMPTS).toBe(consumer(ALERTS_DLQ_NAME).maxRetries + 1);
	});
});

type Call = { tenant: string; n: string; result: AttemptResult; final: boolean };

/** An env whose TENANT answers from a script instead of the real object (the lead's integration tests use that). */
function fakeTenants(script: Record<string, Delivery | null | "throw">, options: { failRecord?: Set<string> } = {}) {
	const recorded: Call[] = [];
	const stub = (tenant: string) => ({
		async delivery(n: string) {
			const d = script[n];
			if (d === "throw") throw new Error("object unreachable");
			return d ?? null;
		},
		async deliveryAttempt(n: string, result: AttemptResult, final: boolean) {
			if (options.failRecord?.has(n)) throw new Error("object reset");
			recorded.push({ tenant, n, result, final });
		},
	});
	return { env: { ...env, TENANT: { getByName: stub } } as unknown as Env, recorded };
}

const hook = (path: string): Channel => ({ id: "ch", name: "hook", type: "webhook", config: { url: `${RECEIVER}/${path}`, secret: "s" } });
const msg = (id: string, n: string, attempts = 1, t = "tenant-1") => ({ id, timestamp: new Date(), attempts, body: { t, n } });

/**
 * Runs the consumer on a batch. getQueueResult (pool-workers 0.23) lists
 * retried messages without their delay, so `delays` spies on retry() for it.
 */
async function run(queueName: string, messages: ReturnType<typeof msg>[], testEnv: Env) {
	const batch = createMessageBatch<NotifyMessage>(queueName, messages);
	const spies = batch.messages.map((m) => [m.id, vi.spyOn(m, "retry")] as const);
	const ctx = createExecutionContext();
	await queue(batch, testEnv, ctx);
	const result = await getQueueResult(batch, ctx);
	const delays: Record<string, number | undefined> = {};
	for (const [id, spy] of spies) if (spy.mock.calls.length > 0) delays[id] = spy.mock.calls[0]![0]?.delaySeconds;
	return { ...result, delays };
}

describe("queue consumer (main queue)", () => {
	it("acks, retries with backoff or ends each message on its own", async () => {
		const ok = bucket("c-ok");
		const down = bucket("c-down");
		const gone = bucket("c-gone");
		const { env: testEnv, recorded } = fakeTenants({
			unknown: null,
			delivered: sampleDelivery(hook(`ok/${ok}`)),
			down2: sampleDelivery(hook(`status/503/${down}`)),
			downLast: sampleDelivery(hook(`status/503/${down}`)),
			gone: sampleDelivery(hook(`status/410/${gone}`)),
			unreachable: "throw",
		});
		const result = await run(
			ALERTS_QUEUE_NAME,
			[msg("m-unknown", "unknown"), msg("m-ok", "delivered"), msg("m-down2", "down2", 2), msg("m-last", "downLast", MAX_ATTEMPTS), msg("m-gone", "gone"), msg("m-throw", "unreachable", 3)],
			testEnv,
		);
		expect(result.ackAll).toBe(false);
		expect(result.retryBatch.retry).toBe(false);
		expect([...result.explicitAcks].sort()).toEqual(["m-gone", "m-last", "m-ok", "m-unknown"]);
		expect(result.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(["m-down2", "m-throw"]);
		expect(result.delays).toEqual({ "m-down2": 4, "m-throw": 8 });

		const byN = Object.fromEntries(recorded.map((c) => [c.n, c]));
		expect(Object.keys(byN).sort()).toEqual(["delivered", "down2", "downLast", "gone"]);
		expect(byN.delivered).toMatchObject({ tenant: "tenant-1", result: { ok: true }, final: false });
		expect(byN.down2).toMatchObject({ result: { ok: false, error: "HTTP 503: receiver answered 503" }, final: false });
		expect(byN.downLast).toMatchObject({ result: { ok: false }, final: true });
		expect(byN.gone).toMatchObject({ result: { ok: false, permanent: true }, final: true });
		expect(await receivedBy(ok)).toHaveLength(1);
		expect(await receivedBy(down)).toHaveLength(2);
	});

	it("retries when recording the outcome fails (delivery is at least once)", async () => {
		const b = bucket("c-record");
		const { env: testEnv } = fakeTenants({ n1: sampleDelivery(hook(`ok/${b}`)) }, { failRecord: new Set(["n1"]) });
		const result = await run(ALERTS_QUEUE_NAME, [msg("m1", "n1", 1)], testEnv);
		expect(result.explicitAcks).toEqual([]);
		expect(result.retryMessages).toEqual([{ msgId: "m1" }]);
		expect(result.delays).toEqual({ m1: 2 });
	});

	it("counts the object's recorded attempts too, so a re-enqueued notification still ends", async () => {
		const delivery = { ...sampleDelivery(hook(`status/503/${bucket("c-requeued")}`)), attempts: MAX_ATTEMPTS - 1 };
		const { env: testEnv, recorded } = fakeTenants({ n1: delivery });
		const result = await run(ALERTS_QUEUE_NAME, [msg("m1", "n1", 1)], testEnv);
		expect(result.explicitAcks).toEqual(["m1"]);
		expect(recorded[0]).toMatchObject({ final: true });
	});

	it("drops a malformed message instead of retrying it forever", async () => {
		const { env: testEnv } = fakeTenants({});
		const batch = createMessageBatch<NotifyMessage>(ALERTS_QUEUE_NAME, [{ id: "bad", timestamp: new Date(), attempts: 1, body: { nope: 1 } as unknown as NotifyMessage }]);
		const ctx = createExecutionContext();
		await queue(batch, testEnv, ctx);
		expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["bad"]);
	});

	it("keeps the messages of a queue it does not know", async () => {
		const { env: testEnv } = fakeTenants({});
		const result = await run("some-other-queue", [msg("m1", "n1")], testEnv);
		expect(result.retryBatch.retry).toBe(true);
		expect(result.explicitAcks).toEqual([]);
	});
});

describe("queue consumer (dead-letter queue)", () => {
	it("marks the notification failed with a dead-letter result that cannot overwrite a real error", async () => {
		const { env: testEnv, recorded } = fakeTenants({
			pending: { ...sampleDelivery(hook("ok/unused")), attempts: 6 },
			final: null,
		});
		const result = await run(ALERTS_DLQ_NAME, [msg("d1", "pending"), msg("d2", "final")], testEnv);
		expect([...result.explicitAcks].sort()).toEqual(["d1", "d2"]);
		expect(recorded).toEqual([{ tenant: "tenant-1", n: "pending", result: { ok: false, error: "dead-lettered after 6 attempts" }, final: true }]);
		expect(isDeadLetter(recorded[0]!.result)).toBe(true);
		expect(isDeadLetter({ ok: false, error: "HTTP 503: down" })).toBe(false);
		expect(isDeadLetter({ ok: true })).toBe(false);
	});

	it("retries with backoff while the object is unreachable", async () => {
		const { env: testEnv } = fakeTenants({ n1: "throw" });
		const result = await run(ALERTS_DLQ_NAME, [msg("d1", "n1", 2)], testEnv);
		expect(result.explicitAcks).toEqual([]);
		expect(result.retryMessages).toEqual([{ msgId: "d1" }]);
		expect(result.delays).toEqual({ d1: 4 });
	});
});
