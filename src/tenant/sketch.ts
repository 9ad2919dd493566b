/**
 * A mergeable latency sketch after DDSketch (Masson et al., VLDB 2019): values
 * fall into logarithmic buckets of ratio gamma, so any quantile is answered
 * within ALPHA relative error, and two sketches merge by adding bucket counts.
 * That is what lets a 24-hour percentile be a merge of 1,440 minute sketches.
 * It is kept as plain JSON (sparse buckets) because it lives in the tenant
 * object's SQLite rows; @datadog/sketches-js serializes through protobufjs.
 */
const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Values below this (ms) count as zero: a microsecond is below any API's noise. */
const MIN_VALUE = 1e-3;

export type Sketch = {
	/** count, zero-bucket count, sum, min, max */
	n: number;
	z: number;
	sum: number;
	min: number;
	max: number;
	/** bucket index -> count */
	b: Record<string, number>;
};

export function emptySketch(): Sketch {
	return { n: 0, z: 0, sum: 0, min: 0, max: 0, b: {} };
}

export function addValue(s: Sketch, value: number): void {
	s.n += 1;
	s.sum += value;
	// min/max start at 0 so the sketch stays plain JSON (Infinity is not).
	if (s.n === 1 || value < s.min) s.min = value;
	if (s.n === 1 || value > s.max) s.max = value;
	if (value < MIN_VALUE) {
		s.z += 1;
		return;
	}
	const i = Math.ceil(Math.log(value) / LOG_GAMMA);
	s.b[i] = (s.b[i] ?? 0) + 1;
}

export function mergeInto(target: Sketch, other: Sketch): void {
	if (other.n === 0) return;
	target.min = target.n === 0 ? other.min : Math.min(target.min, other.min);
	target.max = target.n === 0 ? other.max : Math.max(target.max, other.max);
	target.n += other.n;
	target.z += other.z;
	target.sum += other.sum;
	for (const [i, c] of Object.entries(other.b)) target.b[i] = (target.b[i] ?? 0) + c;
}

/** The q-quantile (0..1) within ALPHA relative error, clamped to the observed range; null when empty. */
export function quantile(s: Sketch, q: number): number | null {
	if (s.n === 0) return null;
	const rank = q * (s.n - 1);
	if (rank < s.z) return 0;
	let seen = s.z;
	const indexes = Object.keys(s.b)
		.map(Number)
		.sort((a, b) => a - b);
	for (const i of indexes) {
		seen += s.b[i]!;
		if (seen > rank) {
			const estimate = (2 * GAMMA ** i) / (GAMMA + 1);
			return Math.min(Math.max(estimate, s.min), s.max);
		}
	}
	return s.max;
}

/** Several quantiles (each 0..1, ascending) in one pass over the sorted buckets; same answers as quantile(). */
export function quantiles(s: Sketch, qs: readonly number[]): (number | null)[] {
	if (s.n === 0) return qs.map(() => null);
	const indexes = Object.keys(s.b)
		.map(Number)
		.sort((a, b) => a - b);
	let seen = s.z;
	let at = 0;
	return qs.map((q) => {
		const rank = q * (s.n - 1);
		if (rank < s.z) return 0;
		while (at < indexes.length && seen + s.b[indexes[at]!]! <= rank) seen += s.b[indexes[at++]!]!;
		if (at === indexes.length) return s.max;
		const estimate = (2 * GAMMA ** indexes[at]!) / (GAMMA + 1);
		return Math.min(Math.max(estimate, s.min), s.max);
	});
}

export function mean(s: Sketch): number | null {
	return s.n === 0 ? null : s.sum / s.n;
}

/**
 * Removes `other` (a sketch previously merged into `target`) from `target`:
 * bucket counts are additive, so a sliding window can drop its oldest slice
 * without re-merging the rest. min and max cannot be un-merged; they are
 * re-derived from the lowest and highest remaining buckets (within ALPHA).
 */
export function subtractFrom(target: Sketch, other: Sketch): void {
	if (other.n === 0) return;
	target.n = Math.max(0, target.n - other.n);
	target.z = Math.max(0, target.z - other.z);
	target.sum -= other.sum;
	for (const [i, c] of Object.entries(other.b)) {
		const left = (target.b[i] ?? 0) - c;
		if (left > 0) target.b[i] = left;
		else delete target.b[i];
	}
	if (target.n === 0) {
		Object.assign(target, emptySketch());
		return;
	}
	const indexes = Object.keys(target.b).map(Number);
	const value = (i: number) => (2 * GAMMA ** i) / (GAMMA + 1);
	target.min = target.z > 0 || indexes.length === 0 ? 0 : value(Math.min(...indexes));
	target.max = indexes.length === 0 ? 0 : value(Math.max(...indexes));
}
