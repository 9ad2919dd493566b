import type { Rule, RuleFilter } from "../../alerting/types";
import { isErrorEvent } from "../counters";
import { addValue, emptySketch, mergeInto, subtractFrom, type Sketch } from "../sketch";
import type { IncomingEvent } from "../types";
import type { Figures } from "./evaluate";

/** Windows slide in steps of one bucket: "the last window_seconds, to within 10 seconds". */
export const BUCKET_MS = 10_000;
export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS);

type Bucket = { n: number; e: number; l: Sketch };
const emptyBucket = (): Bucket => ({ n: 0, e: 0, l: emptySketch() });

function add(into: Bucket, b: Bucket): void {
	into.n += b.n;
	into.e += b.e;
	mergeInto(into.l, b.l);
}

function subtract(from: Bucket, b: Bucket): void {
	from.n -= b.n;
	from.e -= b.e;
	subtractFrom(from.l, b.l);
}

/** The events a filter matches: every field it names must be equal. */
export function matches(filter: RuleFilter | null | undefined, ev: IncomingEvent): boolean {
	if (!filter) return true;
	return (
		(filter.event_type === undefined || filter.event_type === ev.event_type) &&
		(filter.source === undefined || filter.source === ev.source) &&
		(filter.endpoint === undefined || filter.endpoint === ev.endpoint) &&
		(filter.method === undefined || filter.method === ev.method)
	);
}

/** Rules with equal filters share one series: the key is the filter with sorted fields. */
export function seriesKey(filter: RuleFilter | null | undefined): string {
	if (!filter) return "*";
	const entries = Object.entries(filter).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
	return entries.length === 0 ? "*" : JSON.stringify(entries);
}

/**
 * A running sum over the closed buckets [lo, current) of one series, for one
 * window length; `since`: from when its buckets cover the window (a window
 * longer than the series kept so far starts with only what was kept).
 */
type Aggregate = { windowMs: number; lo: number; sum: Bucket; since: number };

type Series = {
	key: string;
	filter: RuleFilter | null;
	/** when counting began: a window is complete once it covers window_seconds of counting */
	since: number;
	current: { bucket: number; data: Bucket; dirty: boolean };
	aggregates: Map<number, Aggregate>;
	maxWindowMs: number;
};

/**
 * The windowed figures alert rules are evaluated on, per series (distinct
 * filter) in 10-second buckets in the object's storage. Each window length
 * of a series keeps a running sum: a new bucket is added once, an expired
 * one subtracted once, so evaluating a 24-hour window costs as little as a
 * one-minute one. The current bucket is in memory and saved with each
 * evaluation (at most a second apart), closed buckets as they close; a
 * crash can cost a second of these derived figures, never an event.
 */
export class Windows {
	private series = new Map<string, Series>();

	constructor(private readonly sql: SqlStorage) {}

	/** Sets the series and window lengths the enabled rules need; drops the rest with their buckets. */
	plan(rules: Rule[], now: number): void {
		const wanted = new Map<string, { filter: RuleFilter | null; windows: Set<number> }>();
		for (const rule of rules) {
			if (!rule.enabled) continue;
			const key = seriesKey(rule.condition.filter);
			const entry = wanted.get(key) ?? { filter: rule.condition.filter ?? null, windows: new Set<number>() };
			entry.windows.add(rule.condition.window_seconds * 1000);
			wanted.set(key, entry);
		}
		for (const key of this.series.keys()) if (!wanted.has(key)) this.series.delete(key);
		const stored = new Map(
			this.sql
				.exec<{ key: string; since: number; coverage: string }>("SELECT key, since, coverage FROM rule_series")
				.toArray()
				.map((r) => [r.key, { since: r.since, coverage: JSON.parse(r.coverage) as Record<string, number> }]),
		);
		for (const key of stored.keys()) {
			if (!wanted.has(key)) {
				this.sql.exec("DELETE FROM rule_series WHERE key = ?", key);
				this.sql.exec("DELETE FROM rule_buckets WHERE series = ?", key);
			}
		}
		for (const [key, { filter, windows }] of wanted) {
			let s = this.series.get(key);
			const kept = stored.get(key);
			if (!s) {
				const since = kept?.since ?? now;
				if (!kept) this.sql.exec("INSERT INTO rule_series (key, since) VALUES (?, ?)", key, since);
				const bucket = bucketOf(now);
				const row = this.sql
					.exec<{ data: string }>("SELECT data FROM rule_buckets WHERE series = ? AND bucket = ?", key, bucket)
					.toArray()[0];
				s = {
					key,
					filter,
					since,
					current: { bucket, data: row ? (JSON.parse(row.data) as Bucket) : emptyBucket(), dirty: false },
					aggregates: new Map(),
					maxWindowMs: 0,
				};
				this.series.set(key, s);
			}
			// Buckets older than the longest window kept so far were pruned: a longer one is covered from there on.
			const coverage = kept?.coverage ?? {};
			const keptMs = Math.max(0, ...Object.keys(coverage).map(Number));
			const from = (w: number) => coverage[w] ?? (kept ? Math.max(s!.since, now - keptMs) : s!.since);
			for (const w of s.aggregates.keys()) if (!windows.has(w)) s.aggregates.delete(w);
			for (const w of windows) if (!s.aggregates.has(w)) s.aggregates.set(w, this.build(s, w, from(w)));
			s.maxWindowMs = Math.max(...windows);
			const next = Object.fromEntries([...s.aggregates.values()].map((a) => [a.windowMs, a.since]));
			this.sql.exec("UPDATE rule_series SET coverage = ? WHERE key = ?", JSON.stringify(next), key);
		}
	}

	/** Counts accepted events into every series they match (after the ingesting transaction committed). */
	record(events: IncomingEvent[], now: number): boolean {
		if (this.series.size === 0) return false;
		const bucket = bucketOf(now);
		for (const s of this.series.values()) {
			let cur: Bucket | null = null;
			for (const ev of events) {
				if (!matches(s.filter, ev)) continue;
				if (!cur) {
					if (s.current.bucket !== bucket) this.roll(s, bucket);
					cur = s.current.data;
					s.current.dirty = true;
				}
				cur.n += 1;
				if (isErrorEvent(ev)) cur.e += 1;
				if (ev.event_type === "api_call" && ev.response_time_ms !== null) addValue(cur.l, ev.response_time_ms);
			}
		}
		return true;
	}

	/** The figures of `rule` at `now`: its window's closed buckets plus the current one. */
	figures(rule: Rule, now: number): Figures | null {
		const s = this.series.get(seriesKey(rule.condition.filter));
		const windowMs = rule.condition.window_seconds * 1000;
		const agg = s?.aggregates.get(windowMs);
		if (!s || !agg) return null;
		this.advance(s, now);
		const total = emptyBucket();
		add(total, agg.sum);
		add(total, s.current.data);
		return { count: total.n, errors: total.e, latency: total.l, complete: now - agg.since >= windowMs - BUCKET_MS };
	}

	/** Saves every current bucket that changed; prunes buckets older than any window. Called by the evaluation job. */
	save(now: number): void {
		for (const s of this.series.values()) {
			this.advance(s, now);
			if (s.current.dirty) {
				this.write(s.key, s.current.bucket, s.current.data);
				s.current.dirty = false;
			}
			this.sql.exec("DELETE FROM rule_buckets WHERE series = ? AND bucket < ?", s.key, bucketOf(now - s.maxWindowMs) - 1);
		}
	}

	/** True while any series has figures to keep evaluating. */
	active(): boolean {
		return this.series.size > 0;
	}

	/** Forgets in-memory state; the next plan() rebuilds it from storage. */
	reset(): void {
		this.series.clear();
	}

	/** Moves a series to `now`: closes the current bucket when time has moved on, drops expired buckets from every sum. */
	private advance(s: Series, now: number): void {
		const bucket = bucketOf(now);
		if (s.current.bucket < bucket) this.roll(s, bucket);
		for (const agg of s.aggregates.values()) {
			const lo = bucketOf(now - agg.windowMs) + 1;
			if (lo <= agg.lo) continue;
			if (lo >= s.current.bucket) {
				agg.sum = emptyBucket();
			} else {
				for (const row of this.sql.exec<{ data: string }>(
					"SELECT data FROM rule_buckets WHERE series = ? AND bucket >= ? AND bucket < ?",
					s.key,
					agg.lo,
					lo,
				)) {
					subtract(agg.sum, JSON.parse(row.data) as Bucket);
				}
			}
			agg.lo = lo;
		}
	}

	/** Closes the current bucket (saved, added to every sum it falls in) and starts `bucket`. */
	private roll(s: Series, bucket: number): void {
		const closed = s.current;
		if (closed.data.n > 0) {
			this.write(s.key, closed.bucket, closed.data);
			for (const agg of s.aggregates.values()) if (closed.bucket >= agg.lo) add(agg.sum, closed.data);
		}
		s.current = { bucket, data: emptyBucket(), dirty: false };
	}

	/** A window's running sum rebuilt from stored buckets (a new rule, or the object restarted). */
	private build(s: Series, windowMs: number, since: number): Aggregate {
		const lo = bucketOf(s.current.bucket * BUCKET_MS - windowMs) + 1;
		const sum = emptyBucket();
		for (const row of this.sql.exec<{ data: string }>(
			"SELECT data FROM rule_buckets WHERE series = ? AND bucket >= ? AND bucket < ?",
			s.key,
			lo,
			s.current.bucket,
		)) {
			add(sum, JSON.parse(row.data) as Bucket);
		}
		return { windowMs, lo, sum, since };
	}

	private write(key: string, bucket: number, data: Bucket): void {
		this.sql.exec(
			"INSERT INTO rule_buckets (series, bucket, data) VALUES (?, ?, ?) ON CONFLICT (series, bucket) DO UPDATE SET data = excluded.data",
			key,
			bucket,
			JSON.stringify(data),
		);
	}
}
