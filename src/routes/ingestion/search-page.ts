import { and, desc, eq, getTableColumns, inArray, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { db } from "../../db/client";
import { type EventRow, events } from "../../db/schema";
import { MiB } from "../../lib/body";
import { encodeCursor } from "../../lib/pagination";
import { presentEvent } from "./event-schema";

/** A search page holds at most `limit` events and at most this many bytes of JSON (API.md). */
export const PAGE_MAX_BYTES = 4 * MiB;
/**
 * payload + tags up to this size come with the page's first query; larger
 * ones are left in D1 and read in slices only as far as the page needs them.
 * 1,001 rows of small columns plus 2 KiB each is at most a few MB, while a
 * first query carrying every 1 MiB payload would be a gigabyte.
 */
const INLINE_MAX_BYTES = 2 * 1024;
/** One follow-up query reads at most this many bytes of large payloads (always at least one event)... */
const SLICE_MAX_BYTES = 2 * MiB;
/** ...for at most this many events (D1 binds at most 100 parameters). */
const SLICE_MAX_IDS = 50;
/** Room left for `"next_cursor":"<cursor>"`: a cursor is base64 of `[<ms>,"<id of at most 128 chars>"]`, under 220 bytes. */
const CURSOR_RESERVE = 256;
/** An event's own fields besides payload and tags (ids, times, names): a loose upper bound, for planning slices only. */
const FIELDS_ESTIMATE = 2 * 1024;

const HEAD = '{"events":[';
const TAIL = '],"next_cursor":';
const utf8 = new TextEncoder();

const bytesOf = (column: SQLWrapper) => sql`coalesce(length(CAST(${column} AS BLOB)), 0)`;
const large = sql`${bytesOf(events.payload)} + ${bytesOf(events.tags)} > ${INLINE_MAX_BYTES}`;

type Planned = EventRow & { deferred: number; bigBytes: number };

/**
 * One page of search results, built as JSON text so that its size is known
 * byte for byte: events are added newest first until `limit` or until the
 * next one would pass PAGE_MAX_BYTES. A page cut short by size still gives
 * `next_cursor` (the position of its last event), so paging on neither loses
 * nor repeats an event. A single event always fits (an event is at most
 * 1 MiB). Returns the body text.
 */
export async function searchPage(env: Env, where: SQL | undefined, limit: number): Promise<string> {
	const { payload: _payload, tags: _tags, ...columns } = getTableColumns(events);
	const rows: Planned[] = await db(env)
		.select({
			...columns,
			payload: sql<string | null>`CASE WHEN ${large} THEN NULL ELSE ${events.payload} END`,
			tags: sql<string | null>`CASE WHEN ${large} THEN NULL ELSE ${events.tags} END`,
			deferred: sql<number>`${large}`,
			bigBytes: sql<number>`${bytesOf(events.payload)} + ${bytesOf(events.tags)}`,
		})
		.from(events)
		.where(where)
		.orderBy(desc(events.timestamp), desc(events.eventId))
		.limit(limit + 1)
		.all();

	const parts: string[] = [];
	let size = HEAD.length + TAIL.length + CURSOR_RESERVE + 1;
	let last: Planned | undefined;
	let cut = false;
	const loaded = new Map<string, Pick<EventRow, "payload" | "tags">>();
	const seen = Math.min(rows.length, limit);
	for (let i = 0; i < seen; i++) {
		let row = rows[i]!;
		if (row.deferred) {
			if (!loaded.has(row.eventId)) await loadSlice(env, row.tenantId, rows, i, seen, PAGE_MAX_BYTES - size, loaded);
			const big = loaded.get(row.eventId);
			loaded.delete(row.eventId);
			if (!big) {
				// Deleted between the two queries (retention): gone, as if the first query had come later.
				last = row;
				continue;
			}
			row = { ...row, ...big };
		}
		const text = JSON.stringify(presentEvent(row));
		const bytes = utf8.encode(text).byteLength + (parts.length > 0 ? 1 : 0);
		if (parts.length > 0 && size + bytes > PAGE_MAX_BYTES) {
			cut = true;
			break;
		}
		parts.push(text);
		size += bytes;
		last = row;
	}
	const more = cut || rows.length > limit;
	const cursor = more && last ? encodeCursor({ t: last.timestamp, id: last.eventId }) : null;
	return `${HEAD}${parts.join(",")}${TAIL}${JSON.stringify(cursor)}}`;
}

/**
 * Reads the large payloads and tags of the deferred rows from `from` on, as
 * far as the page can still hold them and one slice allows, into `loaded`.
 */
async function loadSlice(
	env: Env,
	tenantId: string,
	rows: Planned[],
	from: number,
	to: number,
	room: number,
	loaded: Map<string, Pick<EventRow, "payload" | "tags">>,
): Promise<void> {
	const ids: string[] = [];
	let slice = 0;
	let planned = 0;
	for (let j = from; j < to && ids.length < SLICE_MAX_IDS; j++) {
		const r = rows[j]!;
		planned += r.bigBytes + FIELDS_ESTIMATE;
		if (ids.length > 0 && planned > room) break;
		if (!r.deferred) continue;
		if (ids.length > 0 && slice + r.bigBytes > SLICE_MAX_BYTES) break;
		ids.push(r.eventId);
		slice += r.bigBytes;
	}
	const found = await db(env)
		.select({ eventId: events.eventId, payload: events.payload, tags: events.tags })
		.from(events)
		.where(and(eq(events.tenantId, tenantId), inArray(events.eventId, ids)))
		.all();
	for (const f of found) loaded.set(f.eventId, { payload: f.payload, tags: f.tags });
}
