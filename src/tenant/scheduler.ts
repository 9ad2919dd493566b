import { log } from "../lib/log";

/** The kinds of work the tenant object's one alarm runs, in the order a run takes them. */
export const JOBS = ["rules", "notify", "records", "flush", "keys", "config"] as const;
export type Job = (typeof JOBS)[number];

/**
 * A job's answer: when it wants to run next (epoch ms), null for "only when
 * asked again", or `{ retryAt }` for a backoff of its own choosing (asking
 * sooner does not pull it forward until the job next succeeds).
 */
export type JobResult = number | null | { retryAt: number };

/** Jobs an alarm run takes along whenever they are asked for, due or not (outside their backoff). */
const EAGER = new Set<Job>(["flush", "notify", "records", "keys"]);
const RETRY_MS = 5_000;
/** How long one alarm run waits for its jobs before it lets the alarm be set again for the rest. */
const RUN_BUDGET_MS = 1_000;
const budget = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const RETRY_MAX_MS = 60_000;

/**
 * One alarm, many jobs. Each job has its own due time; the alarm is set to
 * the earliest, and a run starts every due job, each in its own try/catch,
 * so a failing D1 flush backs off alone and never delays rule evaluation or
 * notifications. A job that throws is retried with its own backoff
 * (5 s, 10 s, ... up to a minute); while it backs off, asking for it sooner
 * does not pull it forward. A run waits at most a second for its jobs: one
 * that hangs on D1 goes on in the background (never two of a kind at once)
 * while the alarm is set again for the others.
 *
 * Due times live in memory: on start the object asks for each job whose
 * state says it has work (see TenantObject), so nothing is stranded.
 */
export class Scheduler {
	private readonly due = new Map<Job, number>();
	private readonly notBefore = new Map<Job, number>();
	private readonly failures = new Map<Job, number>();
	/** The alarm as set (null: none). An alarm that is running counts as set until it ends. */
	private alarmAt: number | null = null;
	private running = false;
	private readonly inFlight = new Set<Job>();

	constructor(private readonly storage: DurableObjectStorage) {}

	/** Adopts the alarm already in storage (a restart). */
	async init(): Promise<void> {
		this.alarmAt = await this.storage.getAlarm();
	}

	/** Asks for `job` at `at` or sooner (never before its backoff ends). */
	at(job: Job, at: number): void {
		at = Math.max(at, this.notBefore.get(job) ?? 0);
		const current = this.due.get(job);
		if (current !== undefined && current <= at) return;
		this.due.set(job, at);
		this.arm();
	}

	dueAt(job: Job): number | undefined {
		return this.due.get(job);
	}

	/** The alarm handler: runs every due job (each isolated), then sets the alarm for what remains. */
	async run(now: number, handlers: Record<Job, (now: number) => Promise<JobResult> | JobResult>): Promise<void> {
		this.running = true;
		this.alarmAt = null;
		try {
			// Batched work (flush, notify, records, key use) is never harmful early: a run takes it along,
			// outside its backoff. An alarm that finds nothing due at all (run early: a test's
			// runDurableObjectAlarm, a clock step) takes all of it along, backoff or not.
			const asked = JOBS.filter((job) => this.due.has(job));
			const timely = asked.filter((job) => this.due.get(job)! <= now);
			const due = asked.filter(
				(job) =>
					timely.includes(job) || (EAGER.has(job) && (timely.length === 0 || (this.notBefore.get(job) ?? 0) <= now)),
			);
			const start = (jobs: Job[], at: number) => {
				for (const job of jobs) this.due.delete(job);
				return Promise.race([Promise.all(jobs.map((job) => this.track(job, at, handlers[job]))), budget(RUN_BUDGET_MS)]);
			};
			// Started in JOBS order: rules is synchronous, so what it records is there when notify starts.
			await start(due.filter((job) => !this.inFlight.has(job)), now);
			// Work a job asked for just now (an alert opened: notify) runs in this same alarm, not the next.
			for (let pass = 0; pass < 2; pass++) {
				const t = Date.now();
				const followUp = JOBS.filter((job) => (this.due.get(job) ?? Infinity) <= t && !due.includes(job) && !this.inFlight.has(job));
				if (followUp.length === 0) break;
				due.push(...followUp);
				await start(followUp, t);
			}
		} finally {
			this.running = false;
			this.arm();
		}
	}

	/**
	 * Runs a job, at most one of each kind at a time. A run waits for its jobs
	 * only RUN_BUDGET_MS: a D1 call that hangs goes on in the background, and
	 * the alarm is set again for the others (rules, notify) meanwhile.
	 */
	private track(job: Job, now: number, handler: (now: number) => Promise<JobResult> | JobResult): Promise<void> {
		this.inFlight.add(job);
		return this.runOne(job, now, handler).finally(() => {
			this.inFlight.delete(job);
			this.arm();
		});
	}

	private async runOne(job: Job, now: number, handler: (now: number) => Promise<JobResult> | JobResult): Promise<void> {
		try {
			const next = await handler(now);
			this.failures.delete(job);
			if (next !== null && typeof next === "object") {
				this.notBefore.set(job, next.retryAt);
				this.at(job, next.retryAt);
				return;
			}
			this.notBefore.delete(job);
			if (next !== null) this.at(job, next);
		} catch (err) {
			const failures = (this.failures.get(job) ?? 0) + 1;
			this.failures.set(job, failures);
			const retryAt = Date.now() + Math.min(RETRY_MS * failures, RETRY_MAX_MS);
			log("error", `tenant object job "${job}" failed; retrying`, { failures, error: String(err) });
			this.notBefore.set(job, retryAt);
			this.at(job, retryAt);
		}
	}

	private arm(): void {
		if (this.running) return;
		// A job in flight is asked for again when it ends (track), not by an alarm that would find it busy.
		const waiting = [...this.due].filter(([job]) => !this.inFlight.has(job)).map(([, at]) => at);
		if (waiting.length === 0) return;
		const next = Math.min(...waiting);
		if (this.alarmAt !== null && this.alarmAt <= next) return;
		this.alarmAt = next;
		void this.storage.setAlarm(next);
	}
}
