import { describe, expect, it } from "vitest";
import { compare, evaluate, initialState, metricValue, type Figures, type RuleState } from "../../../src/tenant/alerts/evaluate";
import { dueSteps, nextStep } from "../../../src/tenant/alerts/escalation";
import { addValue, emptySketch } from "../../../src/tenant/sketch";
import { rule } from "./fixtures";

function figures(count: number, errors: number, latencies: number[] = [], complete = true): Figures {
	const latency = emptySketch();
	for (const v of latencies) addValue(latency, v);
	return { count, errors, latency, complete };
}

describe("metricValue", () => {
	const lat = Array.from({ length: 1000 }, (_, i) => i + 1);
	it.each([
		["event_count", 1000],
		["error_count", 50],
		["error_rate", 0.05],
		["latency_avg", 500.5],
	] as const)("%s", (metric, expected) => {
		expect(metricValue(metric, figures(1000, 50, lat))).toBeCloseTo(expected, 6);
	});
	it.each([
		["latency_p50", 500],
		["latency_p95", 950],
		["latency_p99", 990],
	] as const)("%s within the sketch's 1%", (metric, expected) => {
		const v = metricValue(metric, figures(1000, 0, lat))!;
		expect(Math.abs(v - expected) / expected).toBeLessThanOrEqual(0.011);
	});
	it("ratios and latencies have no value without data; counts are 0", () => {
		const empty = figures(0, 0);
		expect(metricValue("error_rate", empty)).toBeNull();
		expect(metricValue("latency_p95", empty)).toBeNull();
		expect(metricValue("latency_avg", empty)).toBeNull();
		expect(metricValue("event_count", empty)).toBe(0);
		expect(metricValue("error_count", empty)).toBe(0);
	});
	it.each([
		["gt", 1, 1, false],
		["gt", 2, 1, true],
		["gte", 1, 1, true],
		["lt", 1, 1, false],
		["lt", 0, 1, true],
		["lte", 1, 1, true],
	] as const)("%s: %d vs %d is %s", (op, value, threshold, expected) => {
		expect(compare(value, op, threshold)).toBe(expected);
	});
});

describe("evaluate", () => {
	const t0 = 1_800_000_000_000;

	it("opens at once without for_seconds; further breaches only update the value", () => {
		const r = rule({ metric: "error_rate", operator: "gt", threshold: 0.1 });
		const a = evaluate(r, figures(10, 5), initialState(), t0);
		expect(a.transition).toEqual({ kind: "open", value: 0.5 });
		expect(a.state.phase).toBe("firing");
		const b = evaluate(r, figures(10, 6), a.state, t0 + 1000);
		expect(b.transition).toEqual({ kind: "update", value: 0.6 });
		const c = evaluate(r, figures(10, 6), b.state, t0 + 2000);
		expect(c.transition.kind).toBe("none");
	});

	it("for_seconds: pending first, opens once the breach held long enough, cancels if it clears", () => {
		const r = rule({ metric: "error_count", operator: "gte", threshold: 3 }, { for_seconds: 30 });
		const a = evaluate(r, figures(5, 3), initialState(), t0);
		expect(a.transition.kind).toBe("pending");
		const b = evaluate(r, figures(5, 4), a.state, t0 + 29_000);
		expect(b.transition.kind).toBe("none");
		expect(b.state.phase).toBe("pending");
		const c = evaluate(r, figures(5, 4), b.state, t0 + 30_000);
		expect(c.transition.kind).toBe("open");
		const cancelled = evaluate(r, figures(5, 0), a.state, t0 + 10_000);
		expect(cancelled.transition.kind).toBe("cancel");
		expect(cancelled.state.phase).toBe("ok");
	});

	it("hysteresis: resolves only once the value crosses resolve_threshold back", () => {
		const r = rule({ metric: "latency_p95", operator: "gt", threshold: 500 }, { resolve_threshold: 300 });
		const open = evaluate(r, figures(100, 0, Array(100).fill(800)), initialState(), t0);
		expect(open.transition.kind).toBe("open");
		const between = evaluate(r, figures(100, 0, Array(100).fill(400)), open.state, t0 + 1000);
		expect(between.transition.kind).toBe("update");
		expect(between.state.phase).toBe("firing");
		const back = evaluate(r, figures(100, 0, Array(100).fill(200)), between.state, t0 + 2000);
		expect(back.transition.kind).toBe("resolve");
		expect(back.state).toMatchObject({ phase: "ok", cooldown_until: t0 + 2000 + 300_000 });
	});

	it("without auto_resolve, a cleared alert stays open", () => {
		const r = rule({ metric: "error_count", operator: "gt", threshold: 0 }, { auto_resolve: false });
		const open = evaluate(r, figures(1, 1), initialState(), t0);
		const cleared = evaluate(r, figures(1, 0), open.state, t0 + 1000);
		expect(cleared.state.phase).toBe("firing");
		expect(cleared.transition.kind).toBe("update");
	});

	it("cooldown: no new alert until it ends, then one", () => {
		const r = rule({ metric: "error_count", operator: "gt", threshold: 0 }, { cooldown_seconds: 60 });
		const cooling: RuleState = { ...initialState(), cooldown_until: t0 + 60_000 };
		const during = evaluate(r, figures(1, 1), cooling, t0);
		expect(during.transition.kind).toBe("pending");
		expect(evaluate(r, figures(1, 1), during.state, t0 + 59_999).transition.kind).toBe("none");
		expect(evaluate(r, figures(1, 1), during.state, t0 + 60_000).transition.kind).toBe("open");
	});

	it.each([
		["ok", "none", "resolve"],
		["alerting", "open", "none"],
		["keep", "none", "none"],
	] as const)("no_data %s: from ok → %s, from firing → %s", (policy, fromOk, fromFiring) => {
		const r = rule({ metric: "error_rate", operator: "gt", threshold: 0.1 }, { no_data: policy });
		expect(evaluate(r, figures(0, 0), initialState(), t0).transition.kind).toBe(fromOk);
		const firing: RuleState = { phase: "firing", since: t0 - 1000, alert_id: "a", cooldown_until: 0, value: 0.5 };
		expect(evaluate(r, figures(0, 0), firing, t0).transition.kind).toBe(fromFiring === "none" && policy === "alerting" ? "update" : fromFiring);
	});

	it("a heartbeat (event_count lt 1) fires on silence, but not before its window has been counted", () => {
		const r = rule({ metric: "event_count", operator: "lt", threshold: 1, window_seconds: 300, filter: { source: "billing" } });
		expect(evaluate(r, figures(0, 0, [], false), initialState(), t0).transition.kind).toBe("none");
		expect(evaluate(r, figures(0, 0, [], true), initialState(), t0).transition.kind).toBe("open");
		const alive = evaluate(r, figures(3, 0), { phase: "firing", since: t0, alert_id: "a", cooldown_until: 0, value: 0 }, t0 + 1000);
		expect(alive.transition.kind).toBe("resolve");
	});
});

describe("escalation steps", () => {
	const policy = { id: "p", name: "p", steps: [{ delay_seconds: 0, channel_ids: ["a"] }, { delay_seconds: 300, channel_ids: ["b"] }], repeat: 1 };
	it("step k is due once the age reaches the sum of delays up to it; repeat restarts", () => {
		expect(dueSteps(policy, 0, 0)).toEqual([0]);
		expect(dueSteps(policy, 1, 299_000)).toEqual([]);
		// Round 2 starts after one whole cycle (300 s): its step 0 (delay 0) comes with round 1's
		// step 1 at 300 s, its step 1 at 600 s.
		expect(dueSteps(policy, 1, 300_000)).toEqual([1, 0]);
		expect(dueSteps(policy, 2, 300_000)).toEqual([0]);
		expect(dueSteps(policy, 3, 600_000)).toEqual([1]);
		expect(dueSteps(policy, 4, 10_000_000)).toEqual([]);
		expect(dueSteps(policy, 0, 10_000_000)).toEqual([0, 1, 0, 1]);
	});
	it("a zero-delay policy with repeats is bounded", () => {
		const zero = { ...policy, steps: [{ delay_seconds: 0, channel_ids: ["a"] }], repeat: 10 };
		expect(dueSteps(zero, 0, 0)).toHaveLength(11);
		expect(nextStep(zero, 11)).toBeNull();
		expect(nextStep(policy, 1)).toBe(1);
	});
});
