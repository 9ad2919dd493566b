import { type Counters, type MinuteCounts, MINUTE_MS, emptyMinute, merge, minuteOf } from "./counters";
import { HOUR_MINUTES, type Split, splitByHours } from "./hours";
import { quantiles } from "./sketch";

/** Bucket sizes of the metrics series, in seconds. */
export const BUCKET_SECONDS = [60, 300, 900, 3600] as const;

export type SeriesPoint = {
	/** The bucket's start, ISO-8601 UTC. */
	t: string;
	count: number;
	errors: number;
	error_rate: number;
	p50: number | null;
	p95: number | null;
	p99: number | null;
};

export type MetricsSeries = { bucket_seconds: number; series: SeriesPoint[] };

/**
 * GET /dashboard/metrics/real-time (without `window`): `minutes / bucket`
 * buckets of `bucketSeconds`, aligned to UTC multiples of the bucket (so a
 * chart's buckets do not shift as time passes), oldest first, the last one
 * the running (partial) bucket. With 60-second buckets that is exactly the
 * overview's window; with larger ones the first bucket starts up to one
 * bucket later than the window would. Every bucket is present, empty ones
 * with zeros and null percentiles, so charts are continuous. Hour buckets
 * read finished hours from their rollup.
 */
export function seriesView(counters: Counters, minutes: number, bucketSeconds: number, now: number): MetricsSeries {
	const size = bucketSeconds / 60;
	const current = minuteOf(now);
	const count = Math.ceil(minutes / size);
	const first = Math.floor(current / size) * size - (count - 1) * size;
	const buckets: MinuteCounts[] = Array.from({ length: count }, emptyMinute);
	const at = (minute: number) => buckets[Math.floor((minute - first) / size)]!;
	// An hour row fits a bucket only when buckets are whole hours.
	const split: Split = size % HOUR_MINUTES === 0 ? splitByHours(first, current, current) : { minutes: [[first, current]], hours: null };
	for (const [from, to] of split.minutes) for (const { minute, data } of counters.range(from, to)) merge(at(minute), data);
	if (split.hours) for (const { hour, data } of counters.hours(split.hours)) merge(at(hour * HOUR_MINUTES), data);
	return {
		bucket_seconds: bucketSeconds,
		series: buckets.map((b, i) => {
			const [p50, p95, p99] = quantiles(b.l, [0.5, 0.95, 0.99]);
			return {
				t: new Date((first + i * size) * MINUTE_MS).toISOString(),
				count: b.n,
				errors: b.e,
				error_rate: b.n === 0 ? 0 : b.e / b.n,
				p50: p50 ?? null,
				p95: p95 ?? null,
				p99: p99 ?? null,
			};
		}),
	};
}
