import { z } from "@hono/zod-openapi";
import { parseISO } from "date-fns";
import { EVENT_TYPES, type EventRow, SEVERITIES } from "../../db/schema";
import { toRow } from "../../tenant/event-row";
import { MAX_PAYLOAD_DEPTH, PayloadInput, TagsInput, mayHoldLoneSurrogate, wellFormed } from "./as-sent";
import type { IncomingEvent, NormalizedEvent } from "../../tenant/types";

export { EVENT_TYPES, SEVERITIES };
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
export { MAX_PAYLOAD_DEPTH };

/**
 * Any ISO-8601 form (extended or basic, calendar, week or ordinal dates,
 * reduced precision, fractions, 24:00, Z or offsets) to epoch ms; UTC when no
 * zone is given; null for anything else, including dates that do not exist.
 */
export function parseIsoTime(value: string): number | null {
	const t = parseISO(value).getTime();
	return Number.isNaN(t) ? null : t;
}

/** A time query or body value: ISO-8601 string or epoch milliseconds. */
export const TimeInput = z.union([z.string().max(64), z.number()]).transform((v, ctx) => {
	// Fractional epoch ms (performance.timeOrigin + now()) are floored, not refused.
	const ms = typeof v === "number" ? (Number.isFinite(v) && v >= 0 ? Math.floor(v) : null) : parseIsoTime(v);
	if (ms === null) {
		ctx.addIssue({ code: "custom", message: "expected an ISO-8601 time or epoch milliseconds" });
		return z.NEVER;
	}
	return ms;
});

const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/**
 * One event as producers send it. No coercion ("200" is not a status code);
 * unknown top-level fields are dropped (zod strips), so `__proto__` or any
 * other extra key can never change a known one. null counts as absent.
 * `payload` and `tags` are the objects JSON.parse built, not copies.
 */
export const EventInput = z
	.object({
		event_id: optional(z.string().regex(EVENT_ID, "1-128 characters of [A-Za-z0-9._:-]")),
		event_type: z.enum(EVENT_TYPES),
		timestamp: optional(TimeInput),
		source: optional(z.string().max(128)),
		severity: optional(z.enum(SEVERITIES)),
		endpoint: optional(z.string().max(512)),
		method: optional(z.enum(METHODS)),
		status_code: optional(z.number().int().min(100).max(599)),
		response_time_ms: optional(z.number().min(0)),
		user_id: optional(z.string().max(128)),
		session_id: optional(z.string().max(128)),
		// Validated in place and kept as sent (as-sent.ts): z.record would drop a `__proto__` key.
		// (Their documented type is given whole: a custom schema's own type would hide the null.)
		payload: optional(PayloadInput).openapi({ type: ["object", "null"] }),
		tags: optional(TagsInput).openapi({ type: ["object", "null"] }),
	})
	.superRefine((ev, ctx) => {
		if (ev.timestamp != null && ev.timestamp > Date.now() + MAX_FUTURE_MS) {
			ctx.addIssue({
				code: "custom",
				path: ["timestamp"],
				message: "timestamp is more than 5 minutes in the future",
			});
		}
	})
	.openapi("Event");

export type EventInputType = z.output<typeof EventInput>;

/** The flat shape the tenant object stores; ids are generated here when absent. */
export function normalizeEvent(ev: EventInputType, now: number): NormalizedEvent {
	return {
		event_id: ev.event_id ?? crypto.randomUUID(),
		event_type: ev.event_type,
		timestamp: ev.timestamp ?? now,
		received_at: now,
		source: ev.source ?? null,
		severity: ev.severity ?? (ev.event_type === "error" ? "error" : "info"),
		endpoint: ev.endpoint ?? null,
		method: ev.method ?? null,
		status_code: ev.status_code ?? null,
		response_time_ms: ev.response_time_ms ?? null,
		user_id: ev.user_id ?? null,
		session_id: ev.session_id ?? null,
		payload: ev.payload ?? null,
		tags: ev.tags ?? null,
	};
}

/**
 * What the tenant object receives for a valid event: its deciding fields and
 * its serialized row. Every string is made well-formed here, once, before
 * anything sees it (the object's filters and counters, the live tail, D1):
 * the row is the JSON the edge builds anyway, and only when it shows an
 * escaped surrogate is the event copied with U+FFFD in place of each lone one.
 */
export function toIncoming(input: EventInputType, now: number): IncomingEvent {
	let ev = normalizeEvent(input, now);
	let row = toRow(ev);
	if (mayHoldLoneSurrogate(row)) {
		ev = wellFormed(ev);
		row = toRow(ev);
	}
	return {
		event_id: ev.event_id,
		event_type: ev.event_type,
		status_code: ev.status_code,
		response_time_ms: ev.response_time_ms,
		source: ev.source,
		endpoint: ev.endpoint,
		method: ev.method,
		row,
	};
}

/** An event as the read routes return it (times in ISO-8601 UTC, JSON fields parsed). */
export function presentEvent(row: EventRow) {
	return {
		event_id: row.eventId,
		event_type: row.eventType,
		timestamp: new Date(row.timestamp).toISOString(),
		received_at: new Date(row.receivedAt).toISOString(),
		source: row.source,
		severity: row.severity,
		endpoint: row.endpoint,
		method: row.method,
		status_code: row.statusCode,
		response_time_ms: row.responseTimeMs,
		user_id: row.userId,
		session_id: row.sessionId,
		payload: row.payload === null ? null : JSON.parse(row.payload),
		tags: row.tags === null ? null : JSON.parse(row.tags),
	};
}

export const StoredEvent = z
	.object({
		event_id: z.string(),
		event_type: z.enum(EVENT_TYPES),
		timestamp: z.string().openapi({ example: "2026-11-23T10:00:00.000Z" }),
		received_at: z.string(),
		source: z.string().nullable(),
		severity: z.enum(SEVERITIES),
		endpoint: z.string().nullable(),
		method: z.string().nullable(),
		status_code: z.number().int().nullable(),
		response_time_ms: z.number().nullable(),
		user_id: z.string().nullable(),
		session_id: z.string().nullable(),
		payload: z.record(z.string(), z.unknown()).nullable(),
		tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
	})
	.openapi("StoredEvent");
