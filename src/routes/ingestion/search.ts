import { z } from "@hono/zod-openapi";
import { and, eq, gte, lt, lte, or, type SQL } from "drizzle-orm";
import { db } from "../../db/client";
import { events } from "../../db/schema";
import { STATUS_CLASSES } from "../../tenant/counters";
import { ApiError } from "../../lib/errors";
import { decodeCursor, LimitQuery, pastCursor } from "../../lib/pagination";
import { EVENT_ID, EVENT_TYPES, METHODS, SEVERITIES, parseIsoTime, presentEvent } from "./event-schema";
import { searchPage } from "./search-page";

/**
 * A query time: epoch milliseconds (digits) or any ISO-8601 form. An offset's
 * `+` sent unencoded arrives as a space (`...T10:00:00 05:00`): read it as `+`.
 */
const QueryTime = z.string().transform((v, ctx) => {
	const ms = /^\d{1,16}$/.test(v) ? Number(v) : parseIsoTime(v.replace(/(T[\d:.,]+) (\d{2}(?::?\d{2})?)$/, "$1+$2"));
	if (ms === null) {
		ctx.addIssue({ code: "custom", message: "expected an ISO-8601 time or epoch milliseconds" });
		return z.NEVER;
	}
	return ms;
});

/** Out-of-range or unknown values are 422, never clamped. */
export const SearchQuery = z
	.object({
		event_type: z.enum(EVENT_TYPES).optional(),
		severity: z.enum(SEVERITIES).optional(),
		source: z.string().max(128).optional(),
		endpoint: z.string().max(512).optional(),
		method: z.enum(METHODS).optional(),
		status_code: z
			.string()
			.regex(/^\d{3}$/, "a status code from 100 to 599")
			.transform(Number)
			.pipe(z.number().int().min(100).max(599))
			.optional(),
		status_class: z.enum(STATUS_CLASSES).optional(),
		user_id: z.string().max(128).optional(),
		session_id: z.string().max(128).optional(),
		from: QueryTime.optional(),
		to: QueryTime.optional(),
		limit: LimitQuery(1000, 100),
		cursor: z.string().max(512).optional(),
	})
	.openapi("SearchQuery");

/**
 * Keyset pagination over (timestamp, event_id) descending: a page boundary is
 * a position, not an offset, so events inserted meanwhile never shift or
 * repeat what a client has already seen. Answers the page's JSON text, at
 * most `limit` events and PAGE_MAX_BYTES (search-page.ts).
 */
export async function searchEvents(env: Env, tenantId: string, q: z.output<typeof SearchQuery>) {
	const where: (SQL | undefined)[] = [eq(events.tenantId, tenantId)];
	if (q.event_type) where.push(eq(events.eventType, q.event_type));
	if (q.severity) where.push(eq(events.severity, q.severity));
	if (q.source !== undefined) where.push(eq(events.source, q.source));
	if (q.endpoint !== undefined) where.push(eq(events.endpoint, q.endpoint));
	if (q.method) where.push(eq(events.method, q.method));
	if (q.status_code !== undefined) where.push(eq(events.statusCode, q.status_code));
	if (q.status_class) {
		const base = Number(q.status_class[0]) * 100;
		where.push(gte(events.statusCode, base), lt(events.statusCode, base + 100));
	}
	if (q.user_id !== undefined) where.push(eq(events.userId, q.user_id));
	if (q.session_id !== undefined) where.push(eq(events.sessionId, q.session_id));
	if (q.from !== undefined) where.push(gte(events.timestamp, q.from));
	if (q.to !== undefined) where.push(lte(events.timestamp, q.to));
	if (q.cursor) {
		const c = decodeCursor(q.cursor, EVENT_ID);
		where.push(pastCursor(events.timestamp, events.eventId, c));
	}
	return searchPage(env, and(...where), q.limit);
}

export async function getEvent(env: Env, tenantId: string, eventId: string) {
	const row = EVENT_ID.test(eventId)
		? await db(env)
				.select()
				.from(events)
				.where(and(eq(events.tenantId, tenantId), eq(events.eventId, eventId)))
				.get()
		: undefined;
	if (!row) throw new ApiError({ code: "NOT_FOUND", message: "No event with that id." });
	return presentEvent(row);
}
