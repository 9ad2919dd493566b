import { z } from "zod";
import { EVENT_TYPES } from "../../db/schema";
import { STATUS_CLASSES } from "../counters";
import { MAX_RECENT_LIMIT, WINDOWS, type WindowName } from "../dashboard";

/**
 * The dashboard WebSocket protocol (API.md, Live dashboard): JSON text
 * frames. Everything a client sends is parsed here; a bad frame gets an
 * `error` frame with a stable code and never reaches the object's state.
 */

export const CHANNELS = ["events", "metrics", "alerts"] as const;
export type Channel = (typeof CHANNELS)[number];

export const DATA_TYPES = ["overview", "alerts_summary", "recent_events", "metrics"] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Client frames larger than this are refused unread: the largest valid one is well under 2 KB. */
export const MAX_CLIENT_FRAME_BYTES = 4096;

/** The exact heartbeat text answered by the platform's auto-response (it never wakes the object). */
export const PING = '{"type":"ping"}';
export const PONG = '{"type":"pong"}';

export const SocketFilter = z
	.object({
		event_type: z.enum(EVENT_TYPES).optional(),
		source: z.string().min(1).max(128).optional(),
		endpoint: z.string().min(1).max(512).optional(),
		status_class: z.enum(STATUS_CLASSES).optional(),
	})
	.strict();
export type SocketFilter = z.infer<typeof SocketFilter>;

const Channels = z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length);


export const ClientMessage = z.discriminatedUnion("type", [
	z.object({ type: z.literal("subscribe"), channels: Channels, filter: SocketFilter.nullable().optional() }).strict(),
	z.object({ type: z.literal("unsubscribe"), channels: Channels }).strict(),
	z
		.object({
			type: z.literal("get_data"),
			data_type: z.enum(DATA_TYPES),
			/** overview and metrics: the window (default 1h); recent_events: how many (default 50). */
			window: z.enum(Object.keys(WINDOWS) as [WindowName, ...WindowName[]]).optional(),
			limit: z.number().int().min(1).max(MAX_RECENT_LIMIT).optional(),
		})
		.strict(),
	z.object({ type: z.literal("ping") }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;


/** Error codes of `error` frames (the REST codes where one fits). */
export type SocketErrorCode =
	| "INVALID_JSON"
	| "UNSUPPORTED_FRAME"
	| "FRAME_TOO_LARGE"
	| "UNKNOWN_TYPE"
	| "VALIDATION_ERROR"
	| "RATE_LIMITED"
	| "INTERNAL";

export type ErrorFrame = { type: "error"; code: SocketErrorCode; message: string; retry_after?: number };

export const errorFrame = (code: SocketErrorCode, message: string, extra: Partial<ErrorFrame> = {}): string =>
	JSON.stringify({ type: "error", code, message, ...extra } satisfies ErrorFrame);

/** Close codes the server uses (4000-4999 are the application's). */
export const CLOSE = {
	/** The user's session ended: logout, password change or reset, deactivation. */
	SESSION_ENDED: { code: 4001, reason: "session ended: sign in again" },
	/** An operator suspended the tenant; a new socket is refused (403) until the suspension is lifted. */
	SUSPENDED: { code: 4003, reason: "tenant suspended" },
	/** The tenant is gone or the object could not place the socket. */
	GOING_AWAY: { code: 1001, reason: "going away" },
} as const;

/**
 * Parses one client frame: the message, or the `error` frame to answer.
 * Binary frames, oversize frames, non-JSON, unknown types and bad fields
 * are each named, so a client developer sees what to fix.
 */
export function parseClientFrame(raw: string | ArrayBuffer): { ok: true; msg: ClientMessage } | { ok: false; error: string } {
	if (typeof raw !== "string") return { ok: false, error: errorFrame("UNSUPPORTED_FRAME", "Frames must be JSON text; binary frames are not accepted.") };
	if (raw.length > MAX_CLIENT_FRAME_BYTES) {
		return { ok: false, error: errorFrame("FRAME_TOO_LARGE", `Frames must be at most ${MAX_CLIENT_FRAME_BYTES} bytes.`) };
	}
	let value: unknown;
	try {
		value = JSON.parse(raw);
	} catch {
		return { ok: false, error: errorFrame("INVALID_JSON", "The frame is not valid JSON.") };
	}
	const type = (value as { type?: unknown } | null)?.type;
	if (typeof value !== "object" || value === null || Array.isArray(value) || typeof type !== "string") {
		return { ok: false, error: errorFrame("VALIDATION_ERROR", 'A frame is a JSON object with a string "type".') };
	}
	if (!["subscribe", "unsubscribe", "get_data", "ping"].includes(type)) {
		return {
			ok: false,
			error: errorFrame("UNKNOWN_TYPE", `Unknown message type "${type.slice(0, 64)}"; expected subscribe, unsubscribe, get_data or ping.`),
		};
	}
	const parsed = ClientMessage.safeParse(value);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		const path = issue.path.join(".");
		const message =
			issue.code === "invalid_value" && path.startsWith("channels")
				? `Unknown channel at ${path}; channels are ${CHANNELS.join(", ")}.`
				: `${path || "frame"}: ${issue.message}`;
		return { ok: false, error: errorFrame("VALIDATION_ERROR", message) };
	}
	return { ok: true, msg: parsed.data };
}
