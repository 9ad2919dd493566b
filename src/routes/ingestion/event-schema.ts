import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, type EventRow, SEVERITIES } from "../../db/schema";
import { toRow } from "../../tenant/event-row";
import type { IncomingEvent, NormalizedEvent } from "../../tenant/types";

export { EVENT_TYPES, SEVERITIES };
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** Deeper payloads are refused: they cost stack to serialize and no dashboard can show them. */
export const MAX_PAYLOAD_DEPTH = 32;

// ISO-8601 date, or date-time with optional seconds, fraction and zone (Z, ±hh:mm, ±hhmm, ±hh).
const ISO_8601 =
	/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Parses an ISO-8601 string to epoch ms (UTC when no zone is given), or null. */
export function parseIsoTime(value: string): number | null {
	const m = ISO_8601.exec(value);
	if (!m) return null;
	const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
	const ms = frac.padEnd(3, "0").slice(0, 3);
	let tz = zone.toUpperCase();
	if (tz !== "Z") {
		const sign = tz[0];
		const digits = tz.slice(1).replace(":", "").padEnd(4, "0");
		tz = `${sign}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
	}
	const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${tz}`);
	if (Number.isNaN(t)) return null;
	// Date.parse rolls 2026-02-31 over to March: refuse dates that do not exist.
	const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
	if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
	return t;
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

function depthOf(root: unknown): number {
	let max = 0;
	const stack: [unknown, number][] = [[root, 1]];
	while (stack.length) {
		const [value, depth] = stack.pop()!;
		if (depth > max) max = depth;
		if (max > MAX_PAYLOAD_DEPTH) return max;
		if (value && typeof value === "object") {
			for (const child of Object.values(value)) {
				if (child && typeof child === "object") stack.push([child, depth + 1]);
			}
		}
	}
	return max;
}

const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/**
 * One event as producers send it. No coercion ("200" is not a status code);
 * unknown top-level fields are dropped (zod strips), so `__proto__` or any
 * other extra key can never change a known one. null counts as absent.
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
		payload: optional(
			z.record(z.string(), z.unknown()).refine((p) => depthOf(p) <= MAX_PAYLOAD_DEPTH, {
				message: `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`,
			}),
		),
		tags: optional(z.record(z.string().max(128), z.union([z.string(), z.number(), z.boolean()]))),
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
		payload: ev.payload == null ? null : JSON.stringify(ev.payload),
		tags: ev.tags == null ? null : JSON.stringify(ev.tags),
	};
}

/** What the tenant object receives for a valid event: its deciding fields and its serialized row. */
export function toIncoming(input: EventInputType, now: number): IncomingEvent {
	const ev = normalizeEvent(input, now);
	return {
		event_id: ev.event_id,
		event_type: ev.event_type,
		status_code: ev.status_code,
		response_time_ms: ev.response_time_ms,
		generated: input.event_id == null,
		row: toRow(ev),
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
