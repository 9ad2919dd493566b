import { log } from "../lib/log";
import type { Counters } from "./counters";
import type { Dedupe } from "./dedupe";
import type { EndpointWindow } from "./endpoint-window";
import type { Endpoints } from "./endpoints";
import type { Outbox } from "./outbox";

const FLUSH_RETRY_MS = 5_000;
const FLUSH_RETRY_MAX_MS = 60_000;
/** Failed flushes in a row before the oldest outbox row is tried on its own. */
const ISOLATE_AFTER_FAILURES = 3;
/** Times the oldest row must fail alone, with D1 answering, before it is parked. */
const PARK_AFTER_ISOLATED_FAILURES = 3;
/** Parked rows are given back to the outbox for another try after this long. */
const PARKED_RETRY_MS = 60 * 60 * 1000;
/** One run drains for at most this long, then yields to the next alarm. */
const RUN_BUDGET_MS = 10_000;

/**
 * The flush job: writes buffered events to D1 and does the event-side
 * housekeeping. Idempotent: a run that dies after D1 committed replays rows
 * that INSERT OR IGNORE skips. A D1 failure backs off (5 s, 10 s, ... a
 * minute) instead of relying on the platform's bounded alarm retries, so
 * buffered events are never stranded; after repeated failures it tells a
 * D1 outage from a row D1 refuses (see isolateOldest).
 */
export class Flush {
	private failures = 0;
	private isolatedFailures = 0;

	constructor(
		private readonly db: () => D1Database,
		private readonly modules: () => {
			outbox: Outbox;
			counters: Counters;
			dedupe: Dedupe;
			endpoints: Endpoints;
			endpointWindow: EndpointWindow;
		},
	) {}

	/** Returns when to run again: now while events remain, a backoff after a failure, else null. */
	async run(tenantId: string, now: number): Promise<{ next: number | null; backoff: boolean }> {
		const { outbox, counters, dedupe, endpoints, endpointWindow } = this.modules();
		const deadline = Date.now() + RUN_BUDGET_MS;
		// Per-endpoint counts are written here, before D1 is asked: an outage must not hold them in memory.
		// They are figures for the dashboard only; a failure to write them must never hold events back.
		try {
			endpoints.persist(now);
		} catch (err) {
			log("error", "writing per-endpoint counts failed; retrying on the next flush", { tenant_id: tenantId, error: String(err) });
		}
		try {
			while ((await outbox.flush(this.db(), tenantId)) > 0 && Date.now() < deadline) {
				// keep draining while there is a backlog
			}
			this.failures = 0;
		} catch (err) {
			this.failures++;
			log("error", "flush to D1 failed; retrying", { tenant_id: tenantId, failures: this.failures, error: String(err) });
			if (this.failures >= ISOLATE_AFTER_FAILURES && (await this.isolateOldest(tenantId))) return { next: Date.now(), backoff: false };
			return { next: Date.now() + Math.min(FLUSH_RETRY_MS * this.failures, FLUSH_RETRY_MAX_MS), backoff: true };
		}
		outbox.unpark(now - PARKED_RETRY_MS);
		counters.saveSketch();
		dedupe.prune(now);
		counters.prune(now);
		endpoints.prune(now);
		// A finished hour is merged once, here, so that long windows read one row for it.
		counters.rollUpLastHour(now);
		endpointWindow.rollUpLastHour(now);
		return { next: outbox.size() > 0 ? Date.now() : null, backoff: false };
	}

	/**
	 * After repeated failures, tells a D1 outage from a row D1 refuses: when D1
	 * answers a trivial query but refuses the oldest outbox row written alone,
	 * that row is parked (kept, logged, counted in stats, retried hourly) so
	 * the rows behind it flow again. During an outage nothing is parked.
	 * Returns true when the oldest row went through or was parked.
	 */
	private async isolateOldest(tenantId: string): Promise<boolean> {
		const db = this.db();
		try {
			await db.prepare("SELECT 1").first();
		} catch {
			return false;
		}
		const { outbox } = this.modules();
		try {
			await outbox.flush(db, tenantId, 1);
			this.isolatedFailures = 0;
		} catch (err) {
			// A passing fault looks the same once; only a row that fails alone
			// again and again, while D1 answers, is parked.
			if (++this.isolatedFailures < PARK_AFTER_ISOLATED_FAILURES) return false;
			const parked = outbox.parkOldest(String(err), Date.now());
			this.isolatedFailures = 0;
			log("error", "D1 refused buffered events on their own; parked them", { tenant_id: tenantId, events: parked, error: String(err) });
		}
		this.failures = 0;
		return true;
	}
}
