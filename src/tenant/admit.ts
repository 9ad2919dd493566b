import type { Counters } from "./counters";
import type { Dedupe } from "./dedupe";
import type { Endpoints } from "./endpoints";
import type { Outbox } from "./outbox";
import { rateLimitState } from "./rate-limit";
import type { IncomingEvent, IngestResult, ItemStatus, TenantSettings } from "./types";

/**
 * Decides every event of one ingestion request, in order: duplicate (seen
 * in the last 24 h, or earlier in this request), rate_limited (the minute's
 * window is full) or accepted (buffered in the outbox and counted). Meant to
 * run inside one synchronous storage transaction, so the decision and the
 * durable write are one step. Returns the answer and the accepted events.
 */
export function admit(
	m: { counters: Counters; endpoints: Endpoints; dedupe: Dedupe; outbox: Outbox },
	settings: TenantSettings,
	input: { events: IncomingEvent[]; rejected: number },
	now: number,
): { result: Extract<IngestResult, { ok: true }>; accepted: IncomingEvent[] } {
	const { counters, endpoints, dedupe, outbox } = m;
	const minute = counters.minute(now);
	const seen = dedupe.seen(
		input.events.map((ev) => ev.event_id),
		now,
	);
	const accepted: IncomingEvent[] = [];
	let duplicates = 0;
	let limited = 0;
	const statuses = input.events.map((ev): ItemStatus => {
		if (seen.has(ev.event_id)) {
			duplicates++;
			return "duplicate";
		}
		if (minute.n >= settings.rateLimitPerMinute) {
			limited++;
			return "rate_limited";
		}
		// A second copy within the same request is a duplicate of the first.
		seen.add(ev.event_id);
		accepted.push(ev);
		counters.recordAccepted(ev, now);
		endpoints.record(ev, now);
		return "accepted";
	});
	dedupe.remember(
		accepted.map((ev) => ev.event_id),
		now,
	);
	outbox.append(accepted.map((ev) => ev.row));
	counters.recordOther("d", duplicates, now);
	counters.recordOther("rl", limited, now);
	counters.recordOther("r", input.rejected, now);
	counters.save();
	return { result: { ok: true, statuses, ...rateLimitState(settings.rateLimitPerMinute, minute.n, now) }, accepted };
}
