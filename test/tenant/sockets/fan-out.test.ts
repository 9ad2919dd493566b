import { describe, expect, it } from "vitest";
import { toRow } from "../../../src/tenant/event-row";
import type { Attachment } from "../../../src/tenant/sockets/attachment";
import { MAX_ATTACHMENT_BYTES, takeGetData } from "../../../src/tenant/sockets/attachment";
import { MAX_EVENTS_PER_FRAME, MAX_PENDING, Pending, eventsFrame, filterKey, matches, presenter } from "../../../src/tenant/sockets/fan-out";
import type { IncomingEvent, NormalizedEvent } from "../../../src/tenant/types";

function event(i: number, extra: Partial<NormalizedEvent> = {}): IncomingEvent {
	const ev: NormalizedEvent = {
		event_id: `e-${i}`,
		event_type: "api_call",
		timestamp: 1_700_000_000_000 + i,
		received_at: 1_700_000_000_000 + i,
		source: "checkout",
		severity: "info",
		endpoint: "/v1/orders",
		method: "GET",
		status_code: 200,
		response_time_ms: 5,
		user_id: null,
		session_id: null,
		payload: null,
		tags: null,
		...extra,
	};
	return { ...ev, row: toRow(ev) };
}

const ids = (frame: string | null) => (JSON.parse(frame!) as { data: { event_id: string }[] }).data.map((e) => e.event_id);

describe("fan-out", () => {
	it("matches each filter field, and status classes only on events with a status", () => {
		expect(matches(null, event(1))).toBe(true);
		expect(matches({ status_class: "2xx" }, event(1))).toBe(true);
		expect(matches({ status_class: "5xx" }, event(1))).toBe(false);
		expect(matches({ status_class: "2xx" }, event(1, { event_type: "error", status_code: null }))).toBe(false);
		expect(matches({ source: "checkout", endpoint: "/v1/orders", event_type: "api_call" }, event(1))).toBe(true);
		expect(matches({ endpoint: "/v1/pay" }, event(1))).toBe(false);
		expect(filterKey({ source: "a" })).toBe(filterKey({ source: "a" }));
		expect(filterKey({ source: "a" })).not.toBe(filterKey({ endpoint: "a" }));
	});

	it("keeps the newest events of a flush, in arrival order, and counts the rest as dropped", () => {
		const events = Array.from({ length: 250 }, (_, i) => event(i));
		const frame = eventsFrame(null, { events, lost: 0 }, presenter());
		expect(ids(frame)).toEqual(events.slice(-MAX_EVENTS_PER_FRAME).map((e) => e.event_id));
		expect(JSON.parse(frame!).dropped).toBe(150);
		// Nothing matching and nothing lost: no frame at all.
		expect(eventsFrame({ source: "nope" }, { events, lost: 0 }, presenter())).toBeNull();
	});

	it("bounds a frame's bytes and never leaves a gap in what it sends", () => {
		const big = (i: number) => event(i, { payload: { blob: "x".repeat(12_000) } });
		const events = [event(0), ...Array.from({ length: 30 }, (_, i) => big(i + 1))];
		const frame = eventsFrame(null, { events, lost: 0 }, presenter())!;
		expect(frame.length).toBeLessThan(140 * 1024);
		const got = ids(frame);
		// An unbroken run of the newest events.
		expect(got).toEqual(events.slice(-got.length).map((e) => e.event_id));
		expect(JSON.parse(frame).dropped).toBe(events.length - got.length);
	});

	it("holds at most MAX_PENDING events between flushes and reports the overflow as dropped", () => {
		const pending = new Pending();
		pending.add(Array.from({ length: MAX_PENDING + 10 }, (_, i) => event(i)));
		expect(pending.size()).toBe(MAX_PENDING);
		const taken = pending.take();
		expect(taken.lost).toBe(10);
		expect(pending.size()).toBe(0);
		expect(JSON.parse(eventsFrame(null, taken, presenter())!).dropped).toBe(MAX_PENDING - MAX_EVENTS_PER_FRAME + 10);
	});

	it("parses each event once per flush, whatever the number of filters", () => {
		const present = presenter();
		const ev = event(1);
		expect(present(ev)).toBe(present(ev));
	});

	it("keeps the largest attachment under 2 KB", () => {
		const a: Attachment = {
			u: "u".repeat(32),
			s: "s".repeat(32),
			r: "viewer",
			at: Date.now(),
			c: ["events", "metrics", "alerts"],
			f: { event_type: "user_action", source: "é".repeat(128), endpoint: "\u2028".repeat(512), status_class: "5xx" },
			gt: 4.123456789,
			gl: Date.now(),
		};
		// Attachments are kept in V8's serialization, where a string costs at most two bytes a character.
		expect(JSON.stringify(a).length * 2).toBeLessThan(MAX_ATTACHMENT_BYTES);
	});

	it("refills get_data tokens at one a second up to five", () => {
		const a = { gt: 5, gl: 0 } as Attachment;
		for (let i = 0; i < 5; i++) expect(takeGetData(a, 0).ok).toBe(true);
		expect(takeGetData(a, 0)).toEqual({ ok: false, retryAfter: 1 });
		expect(takeGetData(a, 1_000).ok).toBe(true);
		expect(takeGetData(a, 60_000).ok).toBe(true);
		expect(a.gt).toBe(4);
	});
});
