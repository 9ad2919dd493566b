import { EVENT_TYPES } from "../db/schema";
import { HOUR_MINUTES, hourOf, hoursIn, splitByHours } from "./hours";
import { addValue, emptySketch, mergeInto, type Sketch } from "./sketch";
import type { IncomingEvent, NormalizedEvent } from "./types";

type MinuteRow = { minute: number; data: string; sketch: string | null };

export const MINUTE_MS = 60_000;
/** Minute buckets are kept a little longer than the longest window (24 h). */
export const KEEP_MINUTES = 25 * 60;

export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Counts of one UTC minute. Short keys: this is rewritten on every ingestion request. */
export type MinuteCounts = {
	/** accepted events */
	n: number;
	/** accepted events by event_type */
	t: Record<string, number>;
	/** error events plus api_calls with status >= 500 */
	e: number;
	/** api_calls by status class */
	s: Partial<Record<StatusClass, number>>;
	/** latency of api_calls that carry response_time_ms */
	l: Sketch;
	/** duplicates, rejected, rate limited */
	d: number;
	r: number;
	rl: number;
};

/** Lifetime counts of the tenant (D1 retention does not reduce them). */
export type Totals = { n: number; t: Record<string, number>; d: number; r: number; rl: number };

/** Counts by event type with every type present (zero when unseen). */
export function byType(counts: Record<string, number>): Record<(typeof EVENT_TYPES)[number], number> {
	return Object.fromEntries(EVENT_TYPES.map((t) => [t, counts[t] ?? 0])) as Record<(typeof EVENT_TYPES)[number], number>;
}

export function emptyMinute(): MinuteCounts {
	return { n: 0, t: {}, e: 0, s: {}, l: emptySketch(), d: 0, r: 0, rl: 0 };
}

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS);

export function isErrorEvent(ev: Pick<NormalizedEvent, "event_type" | "status_code">): boolean {
	return ev.event_type === "error" || (ev.event_type === "api_call" && (ev.status_code ?? 0) >= 500);
}

export function statusClassOf(status: number): StatusClass {
	return `${Math.floor(status / 100)}xx` as StatusClass;
}

export function merge(into: MinuteCounts, m: MinuteCounts): void {
	into.n += m.n;
	into.e += m.e;
	into.d += m.d;
	into.r += m.r;
	into.rl += m.rl;
	for (const [k, v] of Object.entries(m.t)) into.t[k] = (into.t[k] ?? 0) + v;
	for (const [k, v] of Object.entries(m.s)) into.s[k as StatusClass] = (into.s[k as StatusClass] ?? 0) + v;
	mergeInto(into.l, m.l);
}

function parseMinute(row: Omit<MinuteRow, "minute">): MinuteCounts {
	const data = JSON.parse(row.data) as Omit<MinuteCounts, "l">;
	return { ...data, l: row.sketch ? (JSON.parse(row.sketch) as Sketch) : emptySketch() };
}

/**
 * Windowed counters in the tenant object's storage: one row per UTC minute,
 * the current one cached in memory. Counts (and with them the rate-limit
 * window) are written on every request, so a restart loses none. The latency
 * sketch is several kilobytes, so it is written by the flush alarm that
 * follows every accepted request and at the minute's end, not per request:
 * a crash can cost at most one flush interval of latency samples, never a count.
 */
export class Counters {
	private current: { minute: number; data: MinuteCounts } | undefined;
	private sketchDirty = false;
	private totals: Totals;
	/** The last hour the flush job made sure is rolled up. */
	private rolledUp = -1;

	constructor(private readonly sql: SqlStorage) {
		const row = sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'totals'").toArray()[0];
		this.totals = row ? JSON.parse(row.v) : { n: 0, t: {}, d: 0, r: 0, rl: 0 };
	}

	/** The counts of the minute containing `now`, loaded or started. */
	minute(now: number): MinuteCounts {
		const minute = minuteOf(now);
		if (this.current?.minute !== minute) {
			this.saveSketch();
			const row = this.sql
				.exec<MinuteRow>("SELECT minute, data, sketch FROM minutes WHERE minute = ?", minute)
				.toArray()[0];
			this.current = { minute, data: row ? parseMinute(row) : emptyMinute() };
		}
		return this.current.data;
	}

	recordAccepted(ev: IncomingEvent, now: number): void {
		const m = this.minute(now);
		m.n += 1;
		m.t[ev.event_type] = (m.t[ev.event_type] ?? 0) + 1;
		this.totals.n += 1;
		this.totals.t[ev.event_type] = (this.totals.t[ev.event_type] ?? 0) + 1;
		if (isErrorEvent(ev)) m.e += 1;
		if (ev.event_type === "api_call") {
			if (ev.status_code !== null) {
				const cls = statusClassOf(ev.status_code);
				m.s[cls] = (m.s[cls] ?? 0) + 1;
			}
			if (ev.response_time_ms !== null) {
				addValue(m.l, ev.response_time_ms);
				this.sketchDirty = true;
			}
		}
	}

	recordOther(kind: "d" | "r" | "rl", count: number, now: number): void {
		if (count === 0) return;
		this.minute(now)[kind] += count;
		this.totals[kind] += count;
	}

	/** Writes the current minute's counts and the totals; called once at the end of a request. */
	save(): void {
		if (!this.current) return;
		const { l: _sketch, ...counts } = this.current.data;
		this.sql.exec(
			"INSERT INTO minutes (minute, data) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET data = excluded.data",
			this.current.minute,
			JSON.stringify(counts),
		);
		this.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES ('totals', ?)", JSON.stringify(this.totals));
	}

	/** Writes the current minute's latency sketch if it changed (alarm and minute rollover). */
	saveSketch(): void {
		if (!this.current || !this.sketchDirty) return;
		this.sql.exec(
			"UPDATE minutes SET sketch = ? WHERE minute = ?",
			JSON.stringify(this.current.data.l),
			this.current.minute,
		);
		this.sketchDirty = false;
	}

	getTotals(): Totals {
		return structuredClone(this.totals);
	}

	/** Per-minute counts for minutes in [from, to], oldest first (the current one from memory). */
	range(fromMinute: number, toMinute: number): { minute: number; data: MinuteCounts }[] {
		const rows = this.sql
			.exec<MinuteRow>(
				"SELECT minute, data, sketch FROM minutes WHERE minute BETWEEN ? AND ? ORDER BY minute",
				fromMinute,
				toMinute,
			)
			.toArray();
		return rows.map((r) => ({
			minute: r.minute,
			data: r.minute === this.current?.minute ? this.current.data : parseMinute(r),
		}));
	}

	/**
	 * Merge of the minutes in [from, to]: any window is a merge of minutes.
	 * Whole hours that have finished by `now` are read from their rollup (one
	 * row each), so a 24-hour window merges at most 23 hours and 118 minutes.
	 */
	window(fromMinute: number, toMinute: number, now = Date.now()): MinuteCounts {
		const total = emptyMinute();
		const split = splitByHours(fromMinute, toMinute, minuteOf(now));
		for (const [from, to] of split.minutes) for (const { data } of this.range(from, to)) merge(total, data);
		if (split.hours) for (const { data } of this.hours(split.hours)) merge(total, data);
		return total;
	}

	/**
	 * Merged counts of the finished hours in [from, to] that saw anything,
	 * oldest first. An hour without its rollup row yet is merged from its
	 * minutes now and kept: a finished hour's minutes no longer change (the
	 * running minute, whose sketch may be unsaved, is read from memory).
	 */
	hours([from, to]: [number, number]): { hour: number; data: MinuteCounts }[] {
		const rows = this.sql
			.exec<{ hour: number; data: string; sketch: string | null }>(
				"SELECT hour, data, sketch FROM hours WHERE hour BETWEEN ? AND ? ORDER BY hour",
				from,
				to,
			)
			.toArray();
		const out = new Map(rows.map((r) => [r.hour, parseMinute(r)]));
		for (const hour of hoursIn([from, to])) {
			if (out.has(hour)) continue;
			const data = this.rollUp(hour);
			if (data) out.set(hour, data);
		}
		return [...out].sort((a, b) => a[0] - b[0]).map(([hour, data]) => ({ hour, data }));
	}

	/** Rolls up the hour before `now`'s (the flush job), so that reads find it ready. */
	rollUpLastHour(now: number): void {
		const hour = hourOf(minuteOf(now)) - 1;
		if (hour === this.rolledUp) return;
		this.hours([hour, hour]);
		this.rolledUp = hour;
	}

	private rollUp(hour: number): MinuteCounts | null {
		const rows = this.range(hour * HOUR_MINUTES, (hour + 1) * HOUR_MINUTES - 1);
		if (rows.length === 0) return null;
		const total = emptyMinute();
		for (const { data } of rows) merge(total, data);
		// Only a finished hour is kept: the running one still changes.
		if ((hour + 1) * HOUR_MINUTES > minuteOf(Date.now())) return total;
		const { l, ...counts } = total;
		this.sql.exec(
			"INSERT OR REPLACE INTO hours (hour, data, sketch) VALUES (?, ?, ?)",
			hour,
			JSON.stringify(counts),
			JSON.stringify(l),
		);
		return total;
	}

	prune(now: number): void {
		this.sql.exec("DELETE FROM minutes WHERE minute < ?", minuteOf(now) - KEEP_MINUTES);
		this.sql.exec("DELETE FROM hours WHERE hour < ?", hourOf(minuteOf(now) - KEEP_MINUTES));
	}
}
