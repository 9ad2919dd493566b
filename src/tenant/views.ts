import type { EVENT_TYPES } from "../db/schema";
import { type Counters, byType, minuteOf } from "./counters";
import type { Outbox } from "./outbox";
import { mean, quantile } from "./sketch";

export type TenantStats = {
	total_events: number;
	events_last_minute: number;
	events_last_hour: number;
	by_type: Record<(typeof EVENT_TYPES)[number], number>;
	duplicates: number;
	rejected: number;
	rate_limited: number;
	rate_limit_per_minute: number;
	/** Accepted events not yet in D1. */
	pending_flush: number;
	/** Accepted events D1 refused on their own; kept in the object, never dropped. */
	parked_events: number;
};

export type WindowSummary = {
	total_events: number;
	by_type: Record<(typeof EVENT_TYPES)[number], number>;
	errors: number;
	error_rate: number;
	status_classes: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
	latency_ms: { avg: number | null; p50: number | null; p95: number | null; p99: number | null };
};

export const EMPTY_STATS: TenantStats = {
	total_events: 0,
	events_last_minute: 0,
	events_last_hour: 0,
	by_type: { api_call: 0, error: 0, user_action: 0, custom: 0 },
	duplicates: 0,
	rejected: 0,
	rate_limited: 0,
	rate_limit_per_minute: 0,
	pending_flush: 0,
	parked_events: 0,
};

/** GET /ingestion/stats: lifetime totals plus the current minute and hour. */
export function statsView(counters: Counters, outbox: Outbox, rateLimit: number, now: number): TenantStats {
	const minute = minuteOf(now);
	const totals = counters.getTotals();
	return {
		total_events: totals.n,
		events_last_minute: counters.minute(now).n,
		events_last_hour: counters.window(minute - 59, minute, now).n,
		by_type: byType(totals.t),
		duplicates: totals.d,
		rejected: totals.r,
		rate_limited: totals.rl,
		rate_limit_per_minute: rateLimit,
		pending_flush: outbox.size(),
		parked_events: outbox.parked(),
	};
}

/** Counts and latency percentiles over the last `minutes` UTC minutes (the current one included). */
export function summaryView(counters: Counters, minutes: number, now: number): WindowSummary {
	const minute = minuteOf(now);
	const w = counters.window(minute - minutes + 1, minute, now);
	return {
		total_events: w.n,
		by_type: byType(w.t),
		errors: w.e,
		error_rate: w.n === 0 ? 0 : w.e / w.n,
		status_classes: { "2xx": w.s["2xx"] ?? 0, "3xx": w.s["3xx"] ?? 0, "4xx": w.s["4xx"] ?? 0, "5xx": w.s["5xx"] ?? 0 },
		latency_ms: { avg: mean(w.l), p50: quantile(w.l, 0.5), p95: quantile(w.l, 0.95), p99: quantile(w.l, 0.99) },
	};
}
