import type { Policy } from "../../alerting/types";

/** Escalation steps (over all rounds) that one tick may send for one alert: a bound on a zero-delay loop. */
const MAX_STEPS_PER_TICK = 50;

/**
 * Which escalation steps are due for an alert of age `ageMs` that has had
 * `sent` steps so far. Step k of round r (r = 0..repeat) is due when the
 * age reaches r × (sum of all delays) + the sum of delays up to and
 * including step k. Returns the due steps in order as indexes into
 * `policy.steps`, each sent once: the caller adds their count to `sent`
 * (the alert's escalation_level). No I/O.
 */
export function dueSteps(policy: Policy, sent: number, ageMs: number): number[] {
	const n = policy.steps.length;
	if (n === 0) return [];
	const total = n * (policy.repeat + 1);
	const cycleMs = policy.steps.reduce((s, step) => s + step.delay_seconds * 1000, 0);
	const due: number[] = [];
	for (let i = sent; i < total && due.length < MAX_STEPS_PER_TICK; i++) {
		const round = Math.floor(i / n);
		const k = i % n;
		let at = round * cycleMs;
		for (let j = 0; j <= k; j++) at += policy.steps[j]!.delay_seconds * 1000;
		if (ageMs < at) break;
		due.push(k);
	}
	return due;
}

/** The step a manual escalation sends: the next one not yet sent, or null when every round is done. */
export function nextStep(policy: Policy, sent: number): number | null {
	const n = policy.steps.length;
	if (n === 0 || sent >= n * (policy.repeat + 1)) return null;
	return sent % n;
}
