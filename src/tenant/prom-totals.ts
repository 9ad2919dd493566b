import { isErrorEvent, statusClassOf } from "./counters";
import { EVENT_COLUMNS } from "./event-row";
import { KEPT_ENDPOINTS } from "./endpoints";
import type { NormalizedEvent } from "./types";

/**
 * The upper bounds of the latency histogram in milliseconds: the
 * OpenTelemetry HTTP bounds of the contract (0.005 s ... 10 s), kept in ms
 * so that "at the bound" is exact (5 ms is in le="0.005", never above it
 * through a float error); rendered in seconds. +Inf is the count.
 */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000] as const;

/** The label of every endpoint past the first PROM_ENDPOINTS (and of an endpoint literally named "other"). */
export const OTHER_ENDPOINT = "other";
/** The label of api_calls that name no endpoint (Prometheus reads an empty label as no label). */
export const NO_ENDPOINT = "";
/**
 * Endpoints with series of their own, for the tenant's life: as many as the
 * dashboard keeps one by one (endpoints.ts). The first ones seen keep them;
 * see PromTotals for why not the busiest.
 */
export const PROM_ENDPOINTS = KEPT_ENDPOINTS;

const COL = Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, i])) as Record<(typeof EVENT_COLUMNS)[number], number>;
const B = LATENCY_BOUNDS_MS.map((_, i) => `b${i}`);

const UPSERT_CALLS = `INSERT INTO prom_calls (endpoint, method, status_class, n) VALUES (?, ?, ?, ?)
	ON CONFLICT (endpoint, method, status_class) DO UPDATE SET n = n + excluded.n`;
const UPSERT_LATENCY = `INSERT INTO prom_latency (endpoint, count, sum_ms, ${B.join(", ")})
	VALUES (?, ?, ?, ${B.map(() => "?").join(", ")})
	ON CONFLICT (endpoint) DO UPDATE SET count = count + excluded.count, sum_ms = sum_ms + excluded.sum_ms,
	${B.map((b) => `${b} = ${b} + excluded.${b}`).join(", ")}`;
const UPSERT_COUNT = `INSERT INTO prom_counts (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`;

export type CallSeries = { endpoint: string; method: string; status_class: string; n: number };
/** One endpoint's latencies: `buckets[i]` counts calls in (bound[i-1], bound[i]] (not cumulative). */
export type LatencySeries = { endpoint: string; count: number; sum_ms: number; buckets: number[] };
export type PromTotalsSnapshot = { errors: number; calls: CallSeries[]; latency: LatencySeries[] };

/** The bucket index of a latency: the first bound it does not exceed, or the bounds' length (above 10 s). */
export function bucketOf(ms: number): number {
	let i = 0;
	while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
	return i;
}

/**
 * Lifetime totals for GET /api/v1/metrics that the minute counters do not
 * keep: api_calls by endpoint, method and status class, errors, and the
 * latency histogram by endpoint. Counted from event rows as they leave the
 * outbox (flushed to D1, or parked), inside the storage transaction that
 * removes them (outbox.ts): a flush retried after D1 failed counts nothing
 * twice, since the rows are counted only when they go, and events still
 * buffered at a restart are counted when they do go. Nothing is written on
 * the ingestion path; a flush writes one row per series it touched.
 *
 * Endpoint labels: the first PROM_ENDPOINTS distinct endpoints keep their own
 * series for the tenant's life and every later one counts under "other".
 * A busiest-N choice would move an endpoint between its own series and
 * "other" as traffic shifts, and a counter that stops growing, vanishes or
 * restarts from zero breaks rate() for whoever graphs it. First-come slots
 * never move, so every series only grows and a scrape stays bounded.
 * Producers that send route templates (the SDK's middleware, OTLP's
 * http.route) have far fewer than 100 endpoints and never reach "other".
 */
export class PromTotals {
	constructor(private readonly sql: SqlStorage) {}

	/**
	 * Counts the events of outbox bodies (JSON arrays of event rows). Must run
	 * in the transaction that removes them. A body that cannot be read counts
	 * nothing rather than holding the outbox back (D1 would refuse it too).
	 */
	count(bodies: string[]): void {
		const calls = new Map<string, CallSeries>();
		const latency = new Map<string, LatencySeries>();
		let errors = 0;
		const slots = this.endpointSlots();
		for (const body of bodies) {
			let rows: unknown;
			try {
				rows = JSON.parse(body);
			} catch {
				continue;
			}
			if (!Array.isArray(rows)) continue;
			for (const row of rows as unknown[][]) {
				if (!Array.isArray(row)) continue;
				const ev = {
					event_type: row[COL.event_type] as NormalizedEvent["event_type"],
					status_code: typeof row[COL.status_code] === "number" ? (row[COL.status_code] as number) : null,
				};
				// The same rule as the minute counters' errors (stats, dashboards, alert rules).
				if (isErrorEvent(ev)) errors++;
				if (ev.event_type !== "api_call") continue;
				const endpoint = slots.label(row[COL.endpoint]);
				const method = typeof row[COL.method] === "string" ? (row[COL.method] as string) : "";
				const cls = ev.status_code === null ? "" : statusClassOf(ev.status_code);
				// Unambiguous without a JSON.stringify per row: the endpoint's length fixes where it ends.
				const key = `${endpoint.length}:${endpoint}${method}|${cls}`;
				const c = calls.get(key) ?? { endpoint, method, status_class: cls, n: 0 };
				c.n++;
				calls.set(key, c);
				const ms = row[COL.response_time_ms];
				if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) continue;
				let l = latency.get(endpoint);
				if (!l) latency.set(endpoint, (l = { endpoint, count: 0, sum_ms: 0, buckets: LATENCY_BOUNDS_MS.map(() => 0) }));
				l.count++;
				l.sum_ms += ms;
				const b = bucketOf(ms);
				if (b < LATENCY_BOUNDS_MS.length) l.buckets[b]!++;
			}
		}
		for (const c of calls.values()) this.sql.exec(UPSERT_CALLS, c.endpoint, c.method, c.status_class, c.n);
		for (const l of latency.values()) this.sql.exec(UPSERT_LATENCY, l.endpoint, l.count, l.sum_ms, ...l.buckets);
		if (errors > 0) this.sql.exec(UPSERT_COUNT, "errors", errors);
	}

	/** Everything counted so far, in a stable order (endpoint, method, status class). */
	read(): PromTotalsSnapshot {
		const errors = this.sql.exec<{ n: number }>("SELECT n FROM prom_counts WHERE name = 'errors'").toArray()[0]?.n ?? 0;
		const calls = this.sql
			.exec<CallSeries>("SELECT endpoint, method, status_class, n FROM prom_calls ORDER BY endpoint, method, status_class")
			.toArray();
		const latency = this.sql
			.exec<Record<string, number | string>>(`SELECT endpoint, count, sum_ms, ${B.join(", ")} FROM prom_latency ORDER BY endpoint`)
			.toArray()
			.map((r) => ({
				endpoint: r.endpoint as string,
				count: r.count as number,
				sum_ms: r.sum_ms as number,
				buckets: B.map((b) => r[b] as number),
			}));
		return { errors, calls, latency };
	}

	/**
	 * Which label an event's endpoint counts under. The endpoints that hold a
	 * slot are read once per count (at most PROM_ENDPOINTS rows): nothing is
	 * cached in memory, so a rolled-back transaction leaves nothing to undo.
	 */
	private endpointSlots() {
		const held = new Set(
			this.sql
				.exec<{ endpoint: string }>("SELECT DISTINCT endpoint FROM prom_calls WHERE endpoint NOT IN (?, ?)", OTHER_ENDPOINT, NO_ENDPOINT)
				.toArray()
				.map((r) => r.endpoint),
		);
		return {
			label(endpoint: unknown): string {
				if (typeof endpoint !== "string" || endpoint === NO_ENDPOINT) return NO_ENDPOINT;
				if (held.has(endpoint)) return endpoint;
				if (endpoint === OTHER_ENDPOINT || held.size >= PROM_ENDPOINTS) return OTHER_ENDPOINT;
				held.add(endpoint);
				return endpoint;
			},
		};
	}
}
