import type { Metric, Operator, Rule } from "../../alerting/types";
import { mean, quantile, type Sketch } from "../sketch";

/** What a rule's window holds at evaluation time. */
export type Figures = {
	/** matching events in the window */
	count: number;
	/** error events plus api_calls with status >= 500 */
	errors: number;
	/** latency of matching api_calls that carry response_time_ms */
	latency: Sketch;
	/** false while the window does not yet cover `window_seconds` of counting (a new rule, lost figures) */
	complete: boolean;
};

/**
 * Where a rule stands between evaluations, kept in the object's storage.
 * `ok` → (breach) → `pending` (for_seconds) → `firing` (an alert is open)
 * → (cleared, auto_resolve) → `ok`, with `cooldown_until` blocking a new
 * alert for cooldown_seconds after one resolves.
 */
export type RuleState = {
	phase: "ok" | "pending" | "firing";
	/** when the current breach began (pending and firing) */
	since: number | null;
	alert_id: string | null;
	cooldown_until: number;
	value: number | null;
};

export const initialState = (): RuleState => ({ phase: "ok", since: null, alert_id: null, cooldown_until: 0, value: null });

export type Transition =
	| { kind: "none" }
	/** a breach began; the alert opens when it has held for for_seconds */
	| { kind: "pending"; value: number | null }
	/** the breach cleared before the pending period ended */
	| { kind: "cancel"; value: number | null }
	| { kind: "open"; value: number | null }
	/** still firing with a new value: recorded, nothing sent */
	| { kind: "update"; value: number | null }
	| { kind: "resolve"; value: number | null };

/**
 * The rule's metric over its window, or null when it has no value (no
 * data): a ratio over no events, a latency over no latency samples. Counts
 * always have a value, so a heartbeat (`event_count lt 1`) sees 0 when the
 * producer is silent.
 */
export function metricValue(metric: Metric, f: Figures): number | null {
	switch (metric) {
		case "event_count":
			return f.count;
		case "error_count":
			return f.errors;
		case "error_rate":
			return f.count === 0 ? null : f.errors / f.count;
		case "latency_avg":
			return mean(f.latency);
		case "latency_p50":
			return quantile(f.latency, 0.5);
		case "latency_p95":
			return quantile(f.latency, 0.95);
		case "latency_p99":
			return quantile(f.latency, 0.99);
	}
}

export function compare(value: number, op: Operator, threshold: number): boolean {
	switch (op) {
		case "gt":
			return value > threshold;
		case "gte":
			return value >= threshold;
		case "lt":
			return value < threshold;
		case "lte":
			return value <= threshold;
	}
}

/**
 * One evaluation of one rule: no I/O, the caller applies the transition.
 *
 * - A value that breaches starts the pending period (or opens at once when
 *   for_seconds is 0); the alert opens once the breach has held for
 *   for_seconds and the rule is out of its cooldown.
 * - A firing alert resolves (with auto_resolve) once the value crosses
 *   `resolve_threshold` back (hysteresis), or the threshold when there is none.
 * - No data follows `no_data`: `ok` counts as cleared, `alerting` as a
 *   breach, `keep` changes nothing.
 * - While the window is incomplete (less than window_seconds of counting),
 *   a `lt`/`lte` breach is not trusted: missing history looks like silence.
 */
export function evaluate(rule: Rule, figures: Figures, state: RuleState, now: number): { state: RuleState; transition: Transition } {
	const { metric, operator, threshold } = rule.condition;
	const value = metricValue(metric, figures);
	const lowSide = operator === "lt" || operator === "lte";
	let breach: boolean;
	let cleared: boolean;
	if (value === null) {
		if (rule.no_data === "keep") return { state, transition: { kind: "none" } };
		breach = rule.no_data === "alerting";
		cleared = !breach;
	} else {
		breach = compare(value, operator, threshold);
		cleared = !compare(value, operator, rule.resolve_threshold ?? threshold);
		if (lowSide && !figures.complete) {
			breach = false;
			cleared = false;
		}
	}

	if (state.phase === "firing") {
		if (cleared && rule.auto_resolve) {
			return {
				state: { phase: "ok", since: null, alert_id: null, cooldown_until: now + rule.cooldown_seconds * 1000, value },
				transition: { kind: "resolve", value },
			};
		}
		if (value !== state.value) return { state: { ...state, value }, transition: { kind: "update", value } };
		return { state, transition: { kind: "none" } };
	}

	if (!breach) {
		if (state.phase === "pending") {
			return { state: { ...state, phase: "ok", since: null, value }, transition: { kind: "cancel", value } };
		}
		return { state: state.value === value ? state : { ...state, value }, transition: { kind: "none" } };
	}

	const since = state.phase === "pending" && state.since !== null ? state.since : now;
	const held = now - since >= rule.for_seconds * 1000;
	if (held && now >= state.cooldown_until) {
		return { state: { ...state, phase: "firing", since, value }, transition: { kind: "open", value } };
	}
	if (state.phase === "pending") {
		return { state: { ...state, value }, transition: { kind: "none" } };
	}
	return { state: { ...state, phase: "pending", since, value }, transition: { kind: "pending", value } };
}

/** When a pending rule could open without any new event (its pending period or cooldown ends). */
export function nextDecisionAt(rule: Rule, state: RuleState): number | null {
	if (state.phase !== "pending" || state.since === null) return null;
	return Math.max(state.since + rule.for_seconds * 1000, state.cooldown_until);
}
