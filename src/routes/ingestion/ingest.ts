import type { Context } from "hono";
import { MiB, readJsonBody } from "../../lib/body";
import { readApiKey } from "../../lib/api-key";
import { outOfScope, tenantStub, tenantSuspended } from "../../lib/auth";
import { ApiError, type ErrorDetail, unauthorized, validationError, zodDetails } from "../../lib/errors";
import type { AppEnv } from "../../lib/types";
import type { IncomingEvent, IngestResult } from "../../tenant/types";
import { EventInput, toIncoming } from "./event-schema";

export const SINGLE_LIMIT = MiB;
export const BATCH_LIMIT = 5 * MiB;
export const EVENT_LIMIT = MiB;
export const MAX_BATCH = 1000;

export type Prepared = { events: IncomingEvent[]; rejected: number; error?: ApiError };

/** A request refused as a whole: every event it carried counts as rejected in stats. */
class RefusedRequest extends Error {
	constructor(
		readonly error: ApiError,
		readonly events: number,
	) {
		super(error.message);
	}
}

function rateLimitHeaders(r: Extract<IngestResult, { ok: true }>): Record<string, string> {
	return {
		"X-RateLimit-Limit": String(r.limit),
		"X-RateLimit-Remaining": String(r.remaining),
		"X-RateLimit-Reset": String(r.reset),
	};
}

export function rateLimited(headers: Record<string, string>, reset: number): ApiError {
	return new ApiError({
		code: "RATE_LIMITED",
		message: "The tenant's per-minute event limit is reached; retry after the window resets.",
		headers: { ...headers, "Retry-After": String(reset) },
	});
}

/**
 * The shared path of both ingestion routes: the key's shape and tag are
 * checked at the edge, the body is read and validated here, and one RPC to
 * the tenant's object authenticates the key (and its ingest scope) and
 * decides every event. A request-level error (415, 413, 400, 422) still goes
 * to the object, so a bad or revoked key is a 401 first (a key without the
 * ingest scope a 403), and once the key is accepted the refused event is
 * counted in stats.
 */
export async function ingest(
	c: Context<AppEnv>,
	prepare: (req: Request) => Promise<Prepared>,
): Promise<{ result: Extract<IngestResult, { ok: true }>; headers: Record<string, string>; prepared: Prepared }> {
	const { tenantId, keyHash } = await readApiKey(c.env, c.req.header("x-api-key"));
	let prepared: Prepared;
	try {
		prepared = await prepare(c.req.raw);
	} catch (err) {
		if (err instanceof RefusedRequest) prepared = { events: [], rejected: err.events, error: err.error };
		else if (err instanceof ApiError) prepared = { events: [], rejected: 1, error: err };
		else throw err;
	}
	const stub = tenantStub(c.env, tenantId);
	// One RPC per MAX_BATCH events (an OTLP export may hold more), in order;
	// the statuses join up and the rate-limit state is the last call's.
	const call = (from: number) =>
		stub.ingest({
			tenantId,
			keyHash,
			events: prepared.events.length <= MAX_BATCH ? prepared.events : prepared.events.slice(from, from + MAX_BATCH),
			rejected: from === 0 ? prepared.rejected : 0,
		});
	let result: IngestResult = await call(0);
	for (let from = MAX_BATCH; result.ok && from < prepared.events.length; from += MAX_BATCH) {
		const next: IngestResult = await call(from);
		result = next.ok ? { ...next, statuses: [...result.statuses, ...next.statuses] } : next;
	}
	if (!result.ok) {
		throw result.reason === "out_of_scope"
			? outOfScope("ingest")
			: result.reason === "suspended"
				? tenantSuspended()
				: unauthorized("The API key is unknown or revoked.");
	}
	const headers = rateLimitHeaders(result);
	if (prepared.error) {
		const e = prepared.error;
		throw new ApiError({ code: e.code, message: e.message, details: e.details, headers: { ...e.headers, ...headers } });
	}
	return { result, headers, prepared };
}

/** POST /ingestion/events: 202 accepted, 200 duplicate, 429 over the limit. */
export async function ingestSingle(c: Context<AppEnv>) {
	const { result, headers, prepared } = await ingest(c, async (req) => {
		const { value } = await readJsonBody(req, SINGLE_LIMIT);
		const parsed = EventInput.safeParse(value);
		if (!parsed.success) throw validationError(parsed.error);
		return { events: [toIncoming(parsed.data, Date.now())], rejected: 0 };
	});
	const status = result.statuses[0];
	if (status === "rate_limited") throw rateLimited(headers, result.reset);
	const eventId = prepared.events[0]!.event_id;
	return status === "duplicate"
		? c.json({ event_id: eventId, status: "duplicate" as const }, 200, headers)
		: c.json({ event_id: eventId, status: "accepted" as const }, 202, headers);
}

type BatchItem = {
	index: number;
	event_id: string | null;
	status: "accepted" | "duplicate" | "rejected" | "rate_limited";
	errors?: ErrorDetail[];
};

const utf8 = new TextEncoder();

/**
 * For a body over one event's limit: the first item that alone exceeds it
 * (413 names its index), and the items too deeply nested to serialize at all
 * (they become rejected items, never a 500).
 */
function measureItems(items: unknown[]): { oversize: ApiError | null; tooDeep: Set<number> } {
	const tooDeep = new Set<number>();
	for (let i = 0; i < items.length; i++) {
		let json: string;
		try {
			json = JSON.stringify(items[i]) ?? "";
		} catch {
			tooDeep.add(i);
			continue;
		}
		if (json.length * 3 <= EVENT_LIMIT) continue;
		const bytes = utf8.encode(json).byteLength;
		if (bytes > EVENT_LIMIT) {
			const oversize = new ApiError({
				code: "PAYLOAD_TOO_LARGE",
				message: `Event ${i} is ${bytes} bytes; one event may be at most ${EVENT_LIMIT} bytes.`,
				details: [{ path: `events.${i}`, message: `${bytes} bytes, over the ${EVENT_LIMIT}-byte limit` }],
			});
			return { oversize, tooDeep };
		}
	}
	return { oversize: null, tooDeep };
}

/** POST /ingestion/events/batch: per-item results; valid events are kept even when others are not. */
export async function ingestBatch(c: Context<AppEnv>) {
	let items: BatchItem[] = [];
	const { result, headers } = await ingest(c, async (req) => {
		const { value, bytes } = await readJsonBody(req, BATCH_LIMIT);
		const list = (value as { events?: unknown } | null)?.events;
		if (typeof value !== "object" || value === null || Array.isArray(value) || !Array.isArray(list)) {
			throw new ApiError({
				code: "VALIDATION_ERROR",
				message: "The body must be {\"events\": [...]} with 1 to 1000 events.",
				details: [{ path: "events", message: "expected an array of events" }],
			});
		}
		if (list.length < 1 || list.length > MAX_BATCH) {
			const error = new ApiError({
				code: "VALIDATION_ERROR",
				message: `A batch holds 1 to ${MAX_BATCH} events; this one has ${list.length}.`,
				details: [{ path: "events", message: `expected 1 to ${MAX_BATCH} items, got ${list.length}` }],
			});
			throw new RefusedRequest(error, Math.max(list.length, 1));
		}
		const { oversize, tooDeep } = bytes > EVENT_LIMIT ? measureItems(list) : { oversize: null, tooDeep: new Set<number>() };
		if (oversize) throw new RefusedRequest(oversize, list.length);
		const now = Date.now();
		const events: IncomingEvent[] = [];
		items = list.map((raw, index): BatchItem => {
			if (tooDeep.has(index)) {
				return {
					index,
					event_id: null,
					status: "rejected",
					errors: [{ path: `events.${index}`, message: "the event is nested too deeply to store" }],
				};
			}
			const parsed = EventInput.safeParse(raw);
			if (!parsed.success) {
				const id = (raw as { event_id?: unknown } | null)?.event_id;
				return {
					index,
					event_id: typeof id === "string" ? id : null,
					status: "rejected",
					errors: zodDetails(parsed.error, ["events", index]),
				};
			}
			const ev = toIncoming(parsed.data, now);
			events.push(ev);
			return { index, event_id: ev.event_id, status: "accepted" };
		});
		return { events, rejected: items.length - events.length };
	});
	let next = 0;
	const counts = { accepted: 0, duplicates: 0, rejected: 0, rate_limited: 0 };
	for (const item of items) {
		if (item.status !== "rejected") item.status = result.statuses[next++]!;
		if (item.status === "duplicate") counts.duplicates++;
		else counts[item.status]++;
	}
	// 429 only when nothing but the limit stood in the way; otherwise the
	// per-item results (duplicates, rejections) are worth more than the status.
	if (counts.rate_limited === items.length) throw rateLimited(headers, result.reset);
	return c.json({ ...counts, results: items }, 200, headers);
}
