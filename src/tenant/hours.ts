export const HOUR_MINUTES = 60;

export const hourOf = (minute: number) => Math.floor(minute / HOUR_MINUTES);

/** A window of minutes cut into runs read minute by minute and whole hours read from their rollup. */
export type Split = { minutes: [number, number][]; hours: [number, number] | null };

/**
 * Cuts the minutes [from, to] into the whole hours inside it that have
 * finished before `current` (the running minute), and the runs of minutes
 * around them. Only a finished hour can be merged once and kept: its
 * minutes no longer change. A 24-hour window is then at most 23 hour rows
 * and 118 minute rows instead of 1,440 minute rows.
 */
export function splitByHours(from: number, to: number, current: number): Split {
	const first = Math.ceil(from / HOUR_MINUTES);
	const last = Math.min(Math.floor((to + 1) / HOUR_MINUTES), hourOf(current)) - 1;
	if (first > last) return { minutes: from <= to ? [[from, to]] : [], hours: null };
	const minutes: [number, number][] = [];
	if (from < first * HOUR_MINUTES) minutes.push([from, first * HOUR_MINUTES - 1]);
	if ((last + 1) * HOUR_MINUTES <= to) minutes.push([(last + 1) * HOUR_MINUTES, to]);
	return { minutes, hours: [first, last] };
}

/** Every hour in [from, to] (inclusive), oldest first. */
export function hoursIn([from, to]: [number, number]): number[] {
	return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
