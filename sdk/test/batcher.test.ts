import { describe, expect, it } from "vitest";
import { type Item, bodyBytes, bodyOf, toBatches, utf8Length } from "../src/batcher.js";

const item = (payload: string): Item => {
	const event = { event_type: "custom", payload: { p: payload } };
	const json = JSON.stringify(event);
	return { event, json, bytes: utf8Length(json) };
};
const bytesOf = (s: string) => new TextEncoder().encode(s).byteLength;

describe("batcher", () => {
	it("measures UTF-8 bytes, not UTF-16 code units", () => {
		expect(utf8Length("abc")).toBe(3);
		expect(utf8Length("é")).toBe(2);
		expect(utf8Length("€")).toBe(3);
		expect(utf8Length("😀")).toBe(4);
		// JSON.stringify escapes a lone surrogate, so the text sent is 6 ASCII bytes.
		expect(utf8Length(JSON.stringify("\ud800"))).toBe(8);
	});

	it("bodyBytes is exactly the byte length of the body sent", () => {
		const items = [item("a"), item("é€😀"), item("")];
		expect(bodyBytes(items)).toBe(bytesOf(bodyOf(items)));
		expect(bodyBytes([item("x")])).toBe(bytesOf(bodyOf([item("x")])));
		expect(JSON.parse(bodyOf(items)).events).toHaveLength(3);
	});

	it("cuts by count", () => {
		const items = Array.from({ length: 1201 }, (_, i) => item(String(i)));
		const batches = toBatches(items, 500, 10 * 1024 * 1024);
		expect(batches.map((b) => b.length)).toEqual([500, 500, 201]);
		expect(batches.flat()).toEqual(items); // in order, nothing lost or doubled
	});

	it("cuts by bytes, multibyte text counted as bytes, and never over the budget", () => {
		const items = Array.from({ length: 40 }, () => item("€".repeat(1000))); // ~3 KB each, 1,000 chars
		const budget = 10_000;
		const batches = toBatches(items, 500, budget);
		for (const b of batches) expect(bytesOf(bodyOf(b))).toBeLessThanOrEqual(budget);
		// Three fit in 10,000 bytes (3 x ~3,025 + envelope), a fourth would not: UTF-16 length would have allowed 9.
		expect(batches[0]).toHaveLength(3);
		expect(batches.flat()).toHaveLength(40);
	});

	it("a body exactly at the budget is one batch; one byte less splits it", () => {
		const items = [item("a"), item("b")];
		const exact = bytesOf(bodyOf(items));
		expect(toBatches(items, 500, exact)).toHaveLength(1);
		expect(toBatches(items, 500, exact - 1)).toHaveLength(2);
	});

	it("an event bigger than the budget alone goes in a batch of its own", () => {
		const items = [item("a"), item("x".repeat(5000)), item("b")];
		const batches = toBatches(items, 500, 1000);
		expect(batches.map((b) => b.length)).toEqual([1, 1, 1]);
		expect(batches[1]![0]).toBe(items[1]);
		expect(toBatches([], 500, 1000)).toEqual([]);
	});
});
