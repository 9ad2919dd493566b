import { log } from "../lib/log";
import { EVENT_COLUMNS } from "./event-row";
import { LIVE_ROW_MAX_BYTES, type LiveEvent, liveEvent } from "./live-event";
import type { Outbox } from "./outbox";
import type { IncomingEvent, NormalizedEvent } from "./types";

/**
 * A live event (live-event.ts) typed field by field, so that it can cross
 * the object's RPC boundary (whose types refuse `unknown`): search's event
 * shape, times as ISO strings, plus `truncated` when payload and tags were cut.
 */
export type RecentEvent = Omit<NormalizedEvent, "timestamp" | "received_at" | "payload"> & {
	timestamp: string;
	received_at: string;
	/** Any JSON object (typed shallowly: a recursive JSON type is too deep for the RPC types). */
	payload: { [key: string]: string | number | boolean | null | object } | null;
	truncated?: true;
};

/** The ring holds at most this many events... */
export const RECENT_MAX_EVENTS = 200;
/** ...and at most this many characters of event rows (the newest event always stays). */
export const RECENT_MAX_UNITS = 2 * 1024 * 1024;

/**
 * A raw event row (event-row.ts), or, for an event read back from D1 that
 * was too large to keep whole, the live event already cut.
 */
type Entry = string | LiveEvent;

/** A row starts with its event_id, and event ids need no JSON escaping. */
const idOf = (e: Entry) => (typeof e === "string" ? e.slice(2, e.indexOf('"', 2)) : e.event_id);
const unitsOf = (e: Entry) => (typeof e === "string" ? e.length : LIVE_ROW_MAX_BYTES);

/**
 * The newest accepted events of the tenant, in memory, oldest first:
 * ingestion pays an array push of rows it already has (after its
 * transaction committed); rows are parsed only when read. Bounded by count
 * and by size. A cold object (after a restart) fills it once, on first
 * read, from the outbox and, when that is short, one indexed D1 query.
 */
export class Recent {
	private entries: Entry[] = [];
	private units = 0;
	private filled = false;
	private filling: Promise<void> | undefined;

	/** Adds accepted events, in acceptance order. */
	push(events: IncomingEvent[]): void {
		for (let i = Math.max(0, events.length - RECENT_MAX_EVENTS); i < events.length; i++) {
			const row = events[i]!.row;
			this.entries.push(row);
			this.units += row.length;
		}
		this.trim();
	}

	/** The `limit` newest events, newest first, in the API's shape. */
	newest(limit: number): RecentEvent[] {
		const out: LiveEvent[] = [];
		for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
			const e = this.entries[i]!;
			out.push(typeof e === "string" ? liveEvent(e).event : e);
		}
		// liveEvent() builds exactly this shape from a row that the edge validated.
		return out as RecentEvent[];
	}

	/**
	 * Fills a cold ring once: rows still in the outbox, then (while short)
	 * the tenant's newest events in D1, all older than anything pushed
	 * meanwhile. A D1 failure is logged and tried again on the next read.
	 */
	async fill(outbox: Outbox, db: D1Database, tenantId: string): Promise<void> {
		if (this.filled) return;
		this.filling ??= this.load(outbox, db, tenantId).finally(() => {
			this.filling = undefined;
		});
		await this.filling;
	}

	private async load(outbox: Outbox, db: D1Database, tenantId: string): Promise<void> {
		const known = new Set(this.entries.map(idOf));
		const pending = outbox.newestRows(RECENT_MAX_EVENTS).filter((r) => !known.has(idOf(r)));
		this.prepend(pending);
		const short = RECENT_MAX_EVENTS - this.entries.length;
		if (short > 0) {
			try {
				// Events flushed while the query ran are in both: skip those the ring already has.
				const older = await newestInD1(db, tenantId, short);
				const have = new Set(this.entries.map(idOf));
				this.prepend(older.filter((e) => !have.has(idOf(e))));
			} catch (err) {
				log("error", "recent events: D1 read failed; trying again on the next read", { tenant_id: tenantId, error: String(err) });
				return;
			}
		}
		this.filled = true;
	}

	/** Puts older entries (oldest first) before the ring's, then trims to the bounds. */
	private prepend(older: Entry[]): void {
		if (older.length === 0) return;
		this.entries = [...older, ...this.entries];
		for (const e of older) this.units += unitsOf(e);
		this.trim();
	}

	private trim(): void {
		let drop = Math.max(0, this.entries.length - RECENT_MAX_EVENTS);
		for (let i = 0; i < drop; i++) this.units -= unitsOf(this.entries[i]!);
		while (this.units > RECENT_MAX_UNITS && drop < this.entries.length - 1) this.units -= unitsOf(this.entries[drop++]!);
		if (drop > 0) this.entries.splice(0, drop);
	}
}

const ROW = `json_array(${EVENT_COLUMNS.map((c) => (c === "payload" || c === "tags" ? `json(${c})` : c)).join(", ")})`;
const CUT_ROW = `json_array(${EVENT_COLUMNS.map((c) => (c === "payload" || c === "tags" ? "NULL" : c)).join(", ")})`;

/** ?1 tenant, ?2 the live size limit, ?3 how many. Exported for the test of its query plan. */
export const NEWEST_EVENTS = `SELECT CASE WHEN length(row) > ?2 THEN NULL ELSE row END AS row, CASE WHEN length(row) > ?2 THEN cut END AS cut
	FROM (SELECT ${ROW} AS row, ${CUT_ROW} AS cut, timestamp, event_id FROM events WHERE tenant_id = ?1
	      ORDER BY timestamp DESC, event_id DESC LIMIT ?3)
	ORDER BY timestamp DESC, event_id DESC`;

/**
 * The tenant's `limit` newest events in D1, oldest first, as event rows
 * built by D1 itself: one LIMIT query on the (tenant_id, timestamp,
 * event_id) index, so "newest" means the latest timestamp here. An event
 * too large for live views comes back without payload and tags (marked
 * truncated, as liveEvent does), so the answer stays small.
 */
export async function newestInD1(db: D1Database, tenantId: string, limit: number): Promise<Entry[]> {
	const { results } = await db
		.prepare(NEWEST_EVENTS)
		.bind(tenantId, LIVE_ROW_MAX_BYTES, limit)
		.all<{ row: string | null; cut: string | null }>();
	return results
		.map((r): Entry => (r.row !== null ? r.row : { ...liveEvent(r.cut!).event, payload: null, tags: null, truncated: true }))
		.reverse();
}
