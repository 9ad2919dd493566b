import { KEEP_MINUTES, MINUTE_MS, minuteOf } from "./counters";
import { hourOf } from "./hours";
import { addValue, emptySketch, mergeInto, type Sketch } from "./sketch";
import type { IncomingEvent } from "./types";

/**
 * The key of the bucket that holds every endpoint not counted on its own.
 * An empty endpoint is never counted on its own (it names nothing), so no
 * real endpoint can collide with it.
 */
export const OTHER = "";
/** Distinct endpoints counted one by one in the running minute; further new ones go to OTHER. */
export const MEMORY_ENDPOINTS = 1_000;
/** Endpoints stored one by one per finished minute (and per hour): the busiest; the rest merge into OTHER. */
export const KEPT_ENDPOINTS = 100;

/** One endpoint's api_calls in a minute or an hour: count, errors (status >= 500), latency. */
export type EndpointCounts = { n: number; e: number; l: Sketch };
type Entry = EndpointCounts & { k: string; dirty: boolean };
export type EndpointRow = { endpoint: string; n: number; e: number; sketch: string | null };
/** An hour's minutes merged as each was compacted, and which minutes those were. */
export type HourSoFar = { minutes: ReadonlySet<number>; counts: ReadonlyMap<string, EndpointCounts> };

const UPSERT = `INSERT INTO endpoint_minutes (minute, endpoint, n, e, sketch) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (minute, endpoint) DO UPDATE SET n = excluded.n, e = excluded.e, sketch = excluded.sketch`;

export const emptyCounts = (): EndpointCounts => ({ n: 0, e: 0, l: emptySketch() });

export function mergeCounts(into: EndpointCounts, c: EndpointCounts): void {
	into.n += c.n;
	into.e += c.e;
	mergeInto(into.l, c.l);
}

export const parseSketch = (sketch: string | null): Sketch => (sketch ? (JSON.parse(sketch) as Sketch) : emptySketch());
export const sketchText = (l: Sketch): string | null => (l.n === 0 ? null : JSON.stringify(l));

/**
 * Keeps the `keep` busiest endpoints of `counts` one by one and merges the
 * rest into OTHER (created when needed). Returns the keys merged away.
 */
export function keepBusiest(counts: Map<string, EndpointCounts>, keep: number): string[] {
	const ranked = [...counts].filter(([k]) => k !== OTHER).sort((a, b) => b[1].n - a[1].n);
	const dropped = ranked.slice(keep);
	if (dropped.length === 0) return [];
	const other = counts.get(OTHER) ?? emptyCounts();
	counts.set(OTHER, other);
	for (const [k, c] of dropped) {
		mergeCounts(other, c);
		counts.delete(k);
	}
	return dropped.map(([k]) => k);
}

/**
 * Per-endpoint counters of api_calls that name an endpoint, bounded so that
 * a producer sending a million distinct endpoints grows neither memory nor
 * storage: the running minute counts at most MEMORY_ENDPOINTS endpoints one
 * by one (later new ones go to OTHER), and a finished minute keeps its
 * KEPT_ENDPOINTS busiest plus OTHER. Like the minute counters' latency
 * sketch, rows are written by the flush job and at minute rollover, not per
 * request (only the entries that changed): a crash can lose at most one
 * flush interval of per-endpoint samples; the main counts (counters.ts) are
 * written per request and lose none.
 */
export class Endpoints {
	private minute = -1;
	private entries = new Map<string, Entry>();
	private distinct = 0;
	private changed: Entry[] = [];
	/**
	 * The last two hours' finished minutes, merged in memory as each minute is
	 * compacted (its counts are at hand then), so that rolling up an hour
	 * parses none of its rows. Lost on a restart: the rollup then reads storage.
	 */
	private hours = new Map<number, { minutes: Set<number>; counts: Map<string, EndpointCounts> }>();

	constructor(private readonly sql: SqlStorage) {}

	/** Counts one accepted event (admit's hot path: a map lookup and a sketch add). */
	record(ev: IncomingEvent, now: number): void {
		const endpoint = ev.endpoint;
		if (ev.event_type !== "api_call" || !endpoint) return;
		const minute = Math.floor(now / MINUTE_MS);
		if (minute !== this.minute) this.roll(minute);
		const c = this.entries.get(endpoint) ?? this.entry(this.distinct < MEMORY_ENDPOINTS ? endpoint : OTHER);
		c.n += 1;
		if (ev.status_code !== null && ev.status_code >= 500) c.e += 1;
		if (ev.response_time_ms !== null) addValue(c.l, ev.response_time_ms);
		if (!c.dirty) {
			c.dirty = true;
			this.changed.push(c);
		}
	}

	/**
	 * Writes what changed since the last call (the flush job). Once the
	 * running minute has ended it is compacted to its busiest endpoints and
	 * let go of, so memory holds at most one minute.
	 */
	persist(now: number): void {
		this.save();
		if (this.minute !== -1 && this.minute < Math.floor(now / MINUTE_MS)) this.roll(-1);
	}

	/** The minute held in memory and its counts by endpoint (OTHER included), or null. Read-only. */
	running(): { minute: number; counts: ReadonlyMap<string, EndpointCounts> } | null {
		return this.minute === -1 ? null : { minute: this.minute, counts: this.entries };
	}

	/** The finished minutes of `hour` merged so far in memory, if this object saw them finish. Read-only. */
	hourSoFar(hour: number): HourSoFar | undefined {
		return this.hours.get(hour);
	}

	/** Forgets minutes and hours past the counters' 25 hours. */
	prune(now: number): void {
		const keepFrom = minuteOf(now) - KEEP_MINUTES;
		this.sql.exec("DELETE FROM endpoint_minutes WHERE minute < ?", keepFrom);
		this.sql.exec("DELETE FROM endpoint_hours WHERE hour < ?", hourOf(keepFrom));
	}

	private entry(key: string): Entry {
		let c = this.entries.get(key);
		if (!c) {
			c = { k: key, n: 0, e: 0, l: emptySketch(), dirty: false };
			this.entries.set(key, c);
			if (key !== OTHER) this.distinct++;
		}
		return c;
	}

	/** Merges the finished (compacted) minute in memory into its hour's running merge. */
	private addToHour(minute: number): void {
		const hour = hourOf(minute);
		let h = this.hours.get(hour);
		if (!h) {
			h = { minutes: new Set(), counts: new Map() };
			this.hours.set(hour, h);
			for (const old of this.hours.keys()) if (old < hour - 1) this.hours.delete(old);
		}
		h.minutes.add(minute);
		for (const [k, c] of this.entries) {
			let into = h.counts.get(k);
			if (!into) h.counts.set(k, (into = emptyCounts()));
			mergeCounts(into, c);
		}
		// Bounded like a minute in memory: endpoints that come and go merge into OTHER.
		if (h.counts.size > 2 * MEMORY_ENDPOINTS) keepBusiest(h.counts, MEMORY_ENDPOINTS);
	}

	private save(): void {
		for (const c of this.changed) {
			this.sql.exec(UPSERT, this.minute, c.k, c.n, c.e, sketchText(c.l));
			c.dirty = false;
		}
		this.changed = [];
	}

	/** Saves and compacts the minute in memory, then holds `minute` (-1: none), loading what storage has of it (a restart). */
	private roll(minute: number): void {
		this.save();
		if (this.minute !== -1 && this.distinct > KEPT_ENDPOINTS) {
			const dropped = keepBusiest(this.entries, KEPT_ENDPOINTS);
			this.sql.exec(
				"DELETE FROM endpoint_minutes WHERE minute = ? AND endpoint IN (SELECT value FROM json_each(?))",
				this.minute,
				JSON.stringify(dropped),
			);
			const other = this.entries.get(OTHER)!;
			this.sql.exec(UPSERT, this.minute, OTHER, other.n, other.e, sketchText(other.l));
		}
		if (this.minute !== -1) this.addToHour(this.minute);
		this.minute = minute;
		this.entries = new Map();
		this.distinct = 0;
		if (minute === -1) return;
		for (const row of this.sql.exec<EndpointRow>(
			"SELECT endpoint, n, e, sketch FROM endpoint_minutes WHERE minute = ?",
			minute,
		)) {
			Object.assign(this.entry(row.endpoint), { n: row.n, e: row.e, l: parseSketch(row.sketch) });
		}
	}
}
