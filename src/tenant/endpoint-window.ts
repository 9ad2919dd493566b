import { minuteOf } from "./counters";
import {
	type EndpointCounts,
	type EndpointRow,
	type Endpoints,
	KEPT_ENDPOINTS,
	OTHER,
	emptyCounts,
	keepBusiest,
	mergeCounts,
	parseSketch,
	sketchText,
} from "./endpoints";
import { HOUR_MINUTES, hourOf, hoursIn, splitByHours } from "./hours";

/** One endpoint's figures over a window. */
export type EndpointTotals = { endpoint: string } & EndpointCounts;

/** What a window's spans are read from: stored minute runs, stored hours, and the minute in memory. */
type Spans = { minutes: [number, number][]; hours: [number, number] | null; running: number | null };

// A window's stored rows are UNION ALL branches, each one range on a primary key. The minute in memory
// is skipped in storage (its row lags behind until the next flush) and taken from memory instead.
const minuteRun = (cols: string, filter: string) =>
	`SELECT ${cols} FROM endpoint_minutes WHERE minute BETWEEN ? AND ? AND minute != ?${filter}`;
const hourRun = (cols: string, filter: string) => `SELECT ${cols} FROM endpoint_hours WHERE hour BETWEEN ? AND ?${filter}`;

/**
 * Reads of the per-endpoint counters over a window of minutes: a merge of
 * whole finished hours (rolled up once, kept like a minute: busiest plus
 * OTHER) and the minutes around them. Counts are summed in SQL first;
 * latency sketches are parsed only for the endpoints that make the top.
 */
export class EndpointWindow {
	private rolledUp = -1;

	constructor(
		private readonly sql: SqlStorage,
		private readonly endpoints: () => Endpoints,
	) {}

	/**
	 * The `limit` busiest endpoints over the minutes [from, to] (count
	 * descending, then name), with their counts, errors and latency, and
	 * OTHER: every api_call whose endpoint was not counted on its own. An
	 * endpoint that fell out of some minute's busiest is counted in OTHER
	 * for that minute, so its own count is a lower bound.
	 */
	top(from: number, to: number, limit: number, now: number): { top: EndpointTotals[]; other: EndpointCounts } {
		const spans = this.spans(from, to, now);
		const counts = new Map<string, { n: number; e: number }>();
		const add = (endpoint: string, n: number, e: number) => {
			const c = counts.get(endpoint);
			if (c) {
				c.n += n;
				c.e += e;
			} else counts.set(endpoint, { n, e });
		};
		const { sql, params } = this.query(spans, "endpoint, n, e");
		if (sql) {
			for (const r of this.sql.exec<{ endpoint: string; n: number; e: number }>(
				`SELECT endpoint, sum(n) AS n, sum(e) AS e FROM (${sql}) GROUP BY endpoint`,
				...params,
			)) {
				add(r.endpoint, r.n, r.e);
			}
		}
		const running = spans.running === null ? null : this.endpoints().running()!.counts;
		for (const [k, c] of running ?? []) add(k, c.n, c.e);
		const chosen = [...counts]
			.filter(([k]) => k !== OTHER)
			.sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))
			.slice(0, limit)
			.map(([k]) => k);
		const merged = new Map<string, EndpointCounts>([...chosen, OTHER].map((k) => [k, emptyCounts()]));
		const only = JSON.stringify([...merged.keys()]);
		const sketches = this.query(spans, "endpoint, n, e, sketch", only);
		if (sketches.sql) {
			for (const r of this.sql.exec<EndpointRow>(sketches.sql, ...sketches.params)) {
				mergeCounts(merged.get(r.endpoint)!, { n: r.n, e: r.e, l: parseSketch(r.sketch) });
			}
		}
		for (const [k, c] of running ?? []) {
			const into = merged.get(k);
			if (into) mergeCounts(into, c);
		}
		return { top: chosen.map((endpoint) => ({ endpoint, ...merged.get(endpoint)! })), other: merged.get(OTHER)! };
	}

	/** Rolls up the hour before `now`'s (the flush job), so that reads find it ready. */
	rollUpLastHour(now: number): void {
		const hour = hourOf(minuteOf(now)) - 1;
		if (hour === this.rolledUp) return;
		this.ensureHours([hour, hour], now);
		this.rolledUp = hour;
	}

	private spans(from: number, to: number, now: number): Spans {
		const split = splitByHours(from, to, minuteOf(now));
		if (split.hours) this.ensureHours(split.hours, now);
		const minute = this.endpoints().running()?.minute;
		const inMinutes = minute !== undefined && split.minutes.some(([a, b]) => minute >= a && minute <= b);
		return { ...split, running: inMinutes ? minute : null };
	}

	/** UNION ALL of the spans' stored rows (columns `cols`), optionally only the endpoints in the JSON array `only`. */
	private query(spans: Spans, cols: string, only?: string): { sql: string; params: unknown[] } {
		const parts: string[] = [];
		const params: unknown[] = [];
		const filter = only === undefined ? "" : " AND endpoint IN (SELECT value FROM json_each(?))";
		const extra = only === undefined ? [] : [only];
		for (const [a, b] of spans.minutes) {
			parts.push(minuteRun(cols, filter));
			params.push(a, b, spans.running ?? -1, ...extra);
		}
		if (spans.hours) {
			parts.push(hourRun(cols, filter));
			params.push(spans.hours[0], spans.hours[1], ...extra);
		}
		return { sql: parts.join(" UNION ALL "), params };
	}

	/** Rolls up every finished hour in [from, to] that has minutes but no rollup yet. */
	private ensureHours(range: [number, number], now: number): void {
		const done = new Set(
			this.sql
				.exec<{ hour: number }>("SELECT DISTINCT hour FROM endpoint_hours WHERE hour BETWEEN ? AND ?", ...range)
				.toArray()
				.map((r) => r.hour),
		);
		for (const hour of hoursIn(range)) {
			if (!done.has(hour) && (hour + 1) * HOUR_MINUTES <= minuteOf(now)) this.rollUp(hour);
		}
	}

	/**
	 * Merges a finished hour's minutes into its busiest endpoints plus OTHER:
	 * from the hour's merge in memory when it holds every stored minute of
	 * the hour (the usual case: nothing is parsed), else from storage (after
	 * a restart). The minute in memory is taken from memory either way.
	 */
	private rollUp(hour: number): void {
		const [from, to] = [hour * HOUR_MINUTES, (hour + 1) * HOUR_MINUTES - 1];
		const endpoints = this.endpoints();
		const running = endpoints.running();
		const inMemory = running !== null && running.minute >= from && running.minute <= to;
		const skip = inMemory ? running.minute : -1;
		const merged = new Map<string, EndpointCounts>();
		const add = (k: string, c: EndpointCounts) => {
			let into = merged.get(k);
			if (!into) merged.set(k, (into = emptyCounts()));
			mergeCounts(into, c);
		};
		const soFar = endpoints.hourSoFar(hour);
		const stored = this.sql
			.exec<{ minute: number }>("SELECT DISTINCT minute FROM endpoint_minutes WHERE minute BETWEEN ? AND ? AND minute != ?", from, to, skip)
			.toArray();
		if (soFar && stored.length === soFar.minutes.size && stored.every((r) => soFar.minutes.has(r.minute))) {
			for (const [k, c] of soFar.counts) add(k, c);
		} else {
			for (const r of this.sql.exec<EndpointRow>(minuteRun("endpoint, n, e, sketch", ""), from, to, skip)) {
				add(r.endpoint, { n: r.n, e: r.e, l: parseSketch(r.sketch) });
			}
		}
		if (inMemory) for (const [k, c] of running.counts) add(k, c);
		if (merged.size === 0) return;
		keepBusiest(merged, KEPT_ENDPOINTS);
		for (const [k, c] of merged) {
			this.sql.exec(
				"INSERT OR REPLACE INTO endpoint_hours (hour, endpoint, n, e, sketch) VALUES (?, ?, ?, ?, ?)",
				hour,
				k,
				c.n,
				c.e,
				sketchText(c.l),
			);
		}
	}
}
