import { describe, expect, it } from "vitest";
import { addValue, emptySketch, mean, mergeInto, quantile } from "../../src/tenant/sketch";

function exactQuantile(sorted: number[], q: number) {
	return sorted[Math.floor(q * (sorted.length - 1))]!;
}

// A deterministic generator so failures reproduce.
function lcg(seed: number) {
	let s = seed;
	return () => (s = (s * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32;
}

describe("latency sketch", () => {
	it("answers p50/p95/p99 within 2% relative error on a heavy-tailed distribution", () => {
		const rand = lcg(42);
		const values = Array.from({ length: 50_000 }, () => Math.exp(rand() * 8) * (rand() < 0.01 ? 20 : 1));
		const s = emptySketch();
		for (const v of values) addValue(s, v);
		const sorted = [...values].sort((a, b) => a - b);
		for (const q of [0.5, 0.95, 0.99]) {
			const exact = exactQuantile(sorted, q);
			expect(Math.abs(quantile(s, q)! - exact) / exact, `q=${q}`).toBeLessThan(0.02);
		}
		expect(mean(s)).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
	});

	it("a window is a merge of minutes: merged sketches equal one sketch of all values", () => {
		const rand = lcg(7);
		const whole = emptySketch();
		const merged = emptySketch();
		for (let minute = 0; minute < 1440; minute++) {
			const m = emptySketch();
			for (let i = 0; i < 20; i++) {
				const v = rand() * 1000;
				addValue(m, v);
				addValue(whole, v);
			}
			mergeInto(merged, JSON.parse(JSON.stringify(m)));
		}
		for (const q of [0.5, 0.95, 0.99]) expect(quantile(merged, q)).toBe(quantile(whole, q));
		expect(merged.n).toBe(whole.n);
	});

	it("handles empty, zero and single values", () => {
		const s = emptySketch();
		expect(quantile(s, 0.5)).toBeNull();
		addValue(s, 0);
		expect(quantile(s, 0.99)).toBe(0);
		const one = emptySketch();
		addValue(one, 123.4);
		expect(quantile(one, 0.5)).toBeCloseTo(123.4, 6);
	});
});
