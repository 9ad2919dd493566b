import { EVENT_COLUMNS } from "./event-row";

/** An event as the dashboard shows it (the search API's shape, plus `truncated` when cut). */
export type LiveEvent = Record<(typeof EVENT_COLUMNS)[number], unknown> & { truncated?: true };

/**
 * Rows larger than this keep their fields but lose `payload` and `tags` in
 * live views (the recent-events ring, WebSocket frames): an event may be up
 * to 1 MiB, and a hundred of those in one frame or in memory would be the
 * object's memory. Search still returns the whole event.
 */
export const LIVE_ROW_MAX_BYTES = 16 * 1024;

const iso = (ms: unknown) => (typeof ms === "number" ? new Date(ms).toISOString() : null);

/**
 * The API's event shape from a buffered row (event-row.ts): times as ISO
 * strings, payload and tags as sent. Built once per accepted event and shared
 * by every view that shows it live. Returns the event and its JSON size.
 */
export function liveEvent(row: string): { event: LiveEvent; bytes: number } {
	const values = JSON.parse(row) as unknown[];
	const event = Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, values[i] ?? null])) as LiveEvent;
	event.timestamp = iso(event.timestamp);
	event.received_at = iso(event.received_at);
	if (row.length > LIVE_ROW_MAX_BYTES) {
		event.payload = null;
		event.tags = null;
		event.truncated = true;
		return { event, bytes: JSON.stringify(event).length };
	}
	// The row's length bounds the event's JSON (times grow by ~40 bytes, names add ~150).
	return { event, bytes: row.length + 200 };
}
