import { loadSnapshot } from "../alerting/snapshot";
import type { NotifyMessage } from "../alerting/types";
import type { Alerting } from "./alerts/alerting";
import { hasDirty, syncRecords } from "./alerts/sync";
import type { Flush } from "./flush";
import type { KeyUse } from "./key-use";
import type { Job, JobResult } from "./scheduler";

/** Messages per Queue sendBatch (the platform's limit is 100). */
const SEND_BATCH = 100;

/** What the jobs need of the object. */
export type JobContext = {
	env: Env;
	sql: SqlStorage;
	tenantId: string;
	modules: { alerting: Alerting; flush: Flush; keyUse: KeyUse };
	/** The decision clock (tests move it). */
	now: () => number;
	/** Notes that rules were evaluated (real time: their once-a-second cadence). */
	evaluated: () => void;
	/** After alerting recorded something: ask for notify, records and (unless from rules) rules. */
	afterAlerting: (now: number, evaluate?: boolean) => void;
	/** The tenant is suspended: its alerting sleeps (no evaluation, nothing sent) until lifted. */
	suspended: () => boolean;
};

/**
 * The work of the tenant object's one alarm, one handler per job (see
 * scheduler.ts). Each returns when it wants to run next, so the scheduler,
 * not the job, decides when the alarm fires.
 */
export function jobHandlers(c: JobContext): Record<Job, (now: number) => Promise<JobResult> | JobResult> {
	const { alerting, flush, keyUse } = c.modules;
	return {
		rules: () => {
			// Asked for again when the suspension is lifted (the object's resume).
			if (c.suspended()) return null;
			c.evaluated();
			const next = alerting.evaluate(c.now());
			c.afterAlerting(Date.now(), false);
			// The decision clock's due time, in real time.
			return next === null ? null : Date.now() + (next - c.now());
		},
		notify: () => (c.suspended() ? null : sendNotifications(c)),
		records: async (now) => {
			await syncRecords(c.sql, c.env.DB, c.tenantId);
			alerting.alerts.prune(now);
			return hasDirty(c.sql) ? Date.now() : null;
		},
		flush: async (now) => {
			const { next, backoff } = await flush.run(c.tenantId, now);
			return backoff && next !== null ? { retryAt: next } : next;
		},
		keys: async (now) => {
			await keyUse.sync(c.env.DB, c.tenantId, now);
			return keyUse.dueAt();
		},
		config: async () => {
			// A configuration copy that was lost (or never arrived), reloaded from D1.
			const snapshot = await loadSnapshot(c.env, c.tenantId);
			if (snapshot && alerting.configure(snapshot, c.now())) c.afterAlerting(Date.now());
			return null;
		},
	};
}

/** Sends queue messages for recorded notifications not yet sent; marks them sent. */
async function sendNotifications(c: JobContext): Promise<JobResult> {
	const { notifications } = c.modules.alerting;
	const ids = notifications.unqueued(SEND_BATCH);
	if (ids.length === 0) return null;
	await c.env.ALERTS_QUEUE.sendBatch(ids.map((n) => ({ body: { t: c.tenantId, n } satisfies NotifyMessage, contentType: "json" as const })));
	notifications.markQueued(ids, Date.now());
	return ids.length === SEND_BATCH ? Date.now() : null;
}
