/** Display formats: numbers, ratios, latencies and times, all tolerant of missing values. */

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat();

export const DASH = "–";

export function count(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
	return Math.abs(n) >= 10_000 ? compact.format(n) : whole.format(n);
}

/** Fixed decimals without trailing zeros: 5.00 → "5", 7.80 → "7.8". */
const trim = (n: number, digits: number) => n.toFixed(digits).replace(/\.?0+$/, "") || "0";

/** A 0-1 ratio as a percentage. */
export function percent(ratio: number | null | undefined): string {
	if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return DASH;
	const p = ratio * 100;
	return `${trim(p, p >= 1 ? 1 : 2)}%`;
}

export function ms(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
	if (value >= 10_000) return `${trim(value / 1000, 1)} s`;
	if (value >= 100) return `${Math.round(value)} ms`;
	return `${trim(value, value >= 10 ? 1 : 2)} ms`;
}

/** Epoch milliseconds of an API time (ISO string, or epoch seconds/milliseconds). */
export function epochMs(t: string | number | null | undefined): number | null {
	if (t === null || t === undefined) return null;
	if (typeof t === "number") return t > 1e11 ? t : t * 1000;
	const parsed = Date.parse(t);
	return Number.isNaN(parsed) ? null : parsed;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const fractional = (d: Date) => `${timeOfDay.format(d)}.${String(d.getMilliseconds()).padStart(3, "0")}`;

export function clock(t: string | number | null | undefined): string {
	const at = epochMs(t);
	return at === null ? DASH : fractional(new Date(at));
}

const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
export function dateTime(t: string | number | null | undefined): string {
	const at = epochMs(t);
	return at === null ? DASH : full.format(new Date(at));
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
export function ago(t: string | number | null | undefined, now = Date.now()): string {
	const at = epochMs(t);
	if (at === null) return DASH;
	const s = Math.round((at - now) / 1000);
	const abs = Math.abs(s);
	if (abs < 45) return rtf.format(s, "second");
	if (abs < 2700) return rtf.format(Math.round(s / 60), "minute");
	if (abs < 64_800) return rtf.format(Math.round(s / 3600), "hour");
	return rtf.format(Math.round(s / 86_400), "day");
}

export function statusClass(code: number | null | undefined): string | null {
	if (typeof code !== "number") return null;
	return `${Math.floor(code / 100)}xx`;
}
