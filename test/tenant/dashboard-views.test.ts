import { describe, expect, it } from "vitest";
import { healthOf } from "../../src/tenant/health";
import { splitByHours } from "../../src/tenant/hours";
import { addValue, emptySketch, quantile, quantiles } from "../../src/tenant/sketch";

describe("splitByHours", () => {
	const H = 60;
	it("reads finished whole hours from rollups and the minutes around them", () => {
		// A 24-hour window ending at minute 30 of hour 100: 23 whole hours, 29 leading and 31 trailing minutes.
		const current = 100 * H + 30;
		expect(splitByHours(current - 1439, current, current)).toEqual({
			minutes: [
				[current - 1439, 77 * H - 1],
				[100 * H, current],
			],
			hours: [77, 99],
		});
	});

	it("never rolls up the running hour, nor an hour the window only partly covers", () => {
		expect(splitByHours(100 * H, 100 * H + 59, 100 * H + 59)).toEqual({ minutes: [[100 * H, 100 * H + 59]], hours: null });
		expect(splitByHours(100 * H, 100 * H + 59, 101 * H)).toEqual({ minutes: [], hours: [100, 100] });
		expect(splitByHours(100 * H + 1, 101 * H + 5, 101 * H + 5)).toEqual({ minutes: [[100 * H + 1, 101 * H + 5]], hours: null });
		expect(splitByHours(100 * H + 10, 100 * H + 15, 200 * H)).toEqual({ minutes: [[100 * H + 10, 100 * H + 15]], hours: null });
	});
});

describe("quantiles", () => {
	it("answers as quantile() does, in one pass", () => {
		const s = emptySketch();
		for (let i = 0; i < 500; i++) addValue(s, i % 7 === 0 ? 0 : 1 + ((i * 7919) % 3000) / 3);
		const qs = [0, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 1];
		expect(quantiles(s, qs)).toEqual(qs.map((q) => quantile(s, q)));
		expect(quantiles(emptySketch(), [0.5, 0.99])).toEqual([null, null]);
	});
});

describe("healthOf", () => {
	const none = { info: 0, warning: 0, critical: 0 };
	it("is critical on an open critical alert or an error rate of 25%, degraded on a warning alert or 5%", () => {
		expect(healthOf(none, 0.01, 1000)).toEqual({ status: "healthy", reasons: [] });
		expect(healthOf(none, 0.05, 1000).status).toBe("degraded");
		expect(healthOf(none, 0.25, 1000).status).toBe("critical");
		expect(healthOf({ ...none, warning: 2 }, 0, 0)).toEqual({ status: "degraded", reasons: ["2 warning alerts open"] });
		expect(healthOf({ ...none, critical: 1, warning: 1 }, 0.3, 100)).toEqual({
			status: "critical",
			reasons: ["1 critical alert open", "error rate 30.0% over the window (critical at 25.0%)", "1 warning alert open"],
		});
	});

	it("ignores info alerts and the error rate of fewer than 20 events", () => {
		expect(healthOf({ ...none, info: 5 }, 0.9, 19)).toEqual({ status: "healthy", reasons: [] });
		expect(healthOf(none, 0.9, 20).status).toBe("critical");
	});
});
