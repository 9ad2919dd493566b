import { statusClassOf } from "../counters";
import { type LiveEvent, liveEvent } from "../live-event";
import type { IncomingEvent } from "../types";
import type { SocketFilter } from "./protocol";

/** How long accepted events gather before one frame per socket carries them (well inside the 1 s promise). */
export const FLUSH_EVERY_MS = 100;
/** At most this many events per socket per flush; older ones are dropped and counted. */
export const MAX_EVENTS_PER_FRAME = 100;
/** ...and at most about this many bytes of events per frame. */
export const MAX_FRAME_BYTES = 128 * 1024;
/** Accepted events waiting for the next flush, whatever the traffic; the oldest go first. */
export const MAX_PENDING = 5_000;

export function matches(f: SocketFilter | null, ev: IncomingEvent): boolean {
	if (!f) return true;
	if (f.event_type !== undefined && ev.event_type !== f.event_type) return false;
	if (f.source !== undefined && ev.source !== f.source) return false;
	if (f.endpoint !== undefined && ev.endpoint !== f.endpoint) return false;
	if (f.status_class !== undefined && (ev.status_code === null || statusClassOf(ev.status_code) !== f.status_class)) return false;
	return true;
}

/** Sockets with the same filter share one computed frame. */
export const filterKey = (f: SocketFilter | null) =>
	f ? JSON.stringify([f.event_type ?? null, f.source ?? null, f.endpoint ?? null, f.status_class ?? null]) : "*";

/**
 * The events of one flush, bounded in memory: a burst beyond MAX_PENDING
 * drops the oldest (counted as lost for every subscriber), so the buffer
 * never holds more than a fixed number of row references.
 */
export class Pending {
	private events: IncomingEvent[] = [];
	private lost = 0;

	add(accepted: IncomingEvent[]): void {
		this.events.push(...accepted);
		const over = this.events.length - MAX_PENDING;
		if (over > 0) {
			this.events.splice(0, over);
			this.lost += over;
		}
	}

	size(): number {
		return this.events.length;
	}

	/** Takes what gathered since the last flush. */
	take(): { events: IncomingEvent[]; lost: number } {
		const taken = { events: this.events, lost: this.lost };
		this.events = [];
		this.lost = 0;
		return taken;
	}
}

/**
 * The `events` frame for one filter: the newest matching events that fit
 * (oldest first inside the frame, as a tail reads), and `dropped` for the
 * matching ones that did not, plus those lost to a burst. Null when there
 * is nothing to say. `present` is shared across filters so each event is
 * parsed at most once per flush.
 */
export function eventsFrame(
	filter: SocketFilter | null,
	taken: { events: IncomingEvent[]; lost: number },
	present: (ev: IncomingEvent) => { event: LiveEvent; bytes: number },
): string | null {
	const chosen: LiveEvent[] = [];
	let matched = 0;
	let bytes = 0;
	let full = false;
	for (let i = taken.events.length - 1; i >= 0; i--) {
		const ev = taken.events[i]!;
		if (!matches(filter, ev)) continue;
		matched++;
		if (full) continue;
		const live = present(ev);
		// Newest first until the frame is full: what is sent is always the unbroken newest part.
		if (chosen.length > 0 && bytes + live.bytes > MAX_FRAME_BYTES) {
			full = true;
			continue;
		}
		bytes += live.bytes;
		chosen.push(live.event);
		if (chosen.length >= MAX_EVENTS_PER_FRAME) full = true;
	}
	const dropped = matched - chosen.length + taken.lost;
	if (chosen.length === 0 && dropped === 0) return null;
	chosen.reverse();
	return JSON.stringify(dropped > 0 ? { type: "events", data: chosen, dropped } : { type: "events", data: chosen });
}

/** A per-flush cache of presented events (one JSON.parse per event, whatever the number of filters). */
export function presenter(): (ev: IncomingEvent) => { event: LiveEvent; bytes: number } {
	const cache = new Map<IncomingEvent, { event: LiveEvent; bytes: number }>();
	return (ev) => {
		let live = cache.get(ev);
		if (!live) {
			live = liveEvent(ev.row);
			cache.set(ev, live);
		}
		return live;
	};
}
