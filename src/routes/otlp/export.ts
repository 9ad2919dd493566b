/**
 * POST /otlp/v1/traces and /otlp/v1/logs: an OTLP/HTTP export becomes events
 * that take the batch route's path (ingestion/ingest.ts): the same key checks,
 * the same schema, one tenant-object call per 1,000 events deciding rate
 * limit, idempotency and durability, alert rules and dashboards. Only the
 * reading and the answers are OTLP's.
 */
import type { Context } from "hono";
import { ApiError, zodDetails } from "../../lib/errors";
import type { AppEnv } from "../../lib/types";
import type { IncomingEvent } from "../../tenant/types";
import { EventInput, type EventInputType, MAX_FUTURE_MS, toIncoming } from "../ingestion/event-schema";
import { EVENT_LIMIT, ingest, rateLimited } from "../ingestion/ingest";
import { type Signal, exportAnswer, statusAnswer } from "./answer";
import { decodeLogsJson, decodeTracesJson } from "./decode-json";
import { decodeLogsProto, decodeTracesProto } from "./decode-proto";
import { type Candidate, logEvent, spanEvent } from "./mapping";
import { DecodeError } from "./protobuf";
import { type OtlpEncoding, encodingOf, readOtlpBody, undecodable } from "./read-body";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();
const NAMES: Record<Signal, string> = { traces: "spans", logs: "log records" };
/** How many refused records partialSuccess names (the count covers them all). */
const NAMED = 5;

async function candidates(signal: Signal, encoding: OtlpEncoding, bytes: Uint8Array): Promise<Candidate[]> {
	try {
		if (encoding === "json") {
			let body: unknown;
			try {
				body = JSON.parse(utf8.decode(bytes));
			} catch {
				throw new ApiError({ code: "INVALID_JSON", message: "The body is not valid JSON." });
			}
			if (signal === "traces") return decodeTracesJson(body).flatMap((s) => spanEvent(s) ?? []);
			return await Promise.all(decodeLogsJson(body).map(logEvent));
		}
		if (signal === "traces") return decodeTracesProto(bytes).flatMap((s) => spanEvent(s) ?? []);
		return await Promise.all(decodeLogsProto(bytes).map(logEvent));
	} catch (err) {
		if (err instanceof DecodeError) {
			throw undecodable(`The body is not a valid ${signal === "traces" ? "ExportTraceServiceRequest" : "ExportLogsServiceRequest"}: ${err.message}.`);
		}
		throw err;
	}
}

type Outcome = { events: IncomingEvent[]; refused: string[] };

/** Each candidate through the event schema (a span's bounds are its mapping's), as the batch route validates its items. */
function validate(list: Candidate[], now: number): Outcome {
	const out: Outcome = { events: [], refused: [] };
	for (const c of list) {
		if ("problem" in c) {
			out.refused.push(`${c.path}: ${c.problem}`);
			continue;
		}
		let event: EventInputType;
		if ("event" in c) {
			if (c.event.timestamp! > now + MAX_FUTURE_MS) {
				out.refused.push(`${c.path}: the span starts more than 5 minutes in the future`);
				continue;
			}
			event = c.event;
		} else {
			const parsed = EventInput.safeParse(c.input);
			if (!parsed.success) {
				const first = zodDetails(parsed.error)[0]!;
				out.refused.push(`${c.path}: ${first.path} ${first.message}`);
				continue;
			}
			event = parsed.data;
		}
		const ev = toIncoming(event, now);
		// The batch route's per-event limit, on the stored row (attributes and body are the bulk).
		if (ev.row.length > EVENT_LIMIT / 3 && encoder.encode(ev.row).byteLength > EVENT_LIMIT) {
			out.refused.push(`${c.path}: the event is over the ${EVENT_LIMIT}-byte limit of one event`);
			continue;
		}
		out.events.push(ev);
	}
	return out;
}

function refusedMessage(signal: Signal, refused: string[]): string {
	const named = refused.slice(0, NAMED).join("; ");
	const more = refused.length > NAMED ? `; and ${refused.length - NAMED} more` : "";
	return `${refused.length} ${NAMES[signal]} refused as invalid: ${named}${more}`;
}

export function otlpExport(signal: Signal) {
	return async (c: Context<AppEnv>): Promise<Response> => {
		// Errors answer in the request's encoding; an unsupported one is answered in JSON.
		const encoding = encodingOf(c.req.header("content-type")) ?? "json";
		try {
			let refused: string[] = [];
			const { result, headers } = await ingest(c, async (req) => {
				const body = await readOtlpBody(req);
				const outcome = validate(await candidates(signal, body.encoding, body.bytes), Date.now());
				refused = outcome.refused;
				return { events: outcome.events, rejected: refused.length };
			});
			// The exporter retries the whole export: what was accepted comes back as duplicates.
			if (result.statuses.includes("rate_limited")) throw rateLimited(headers, result.reset);
			const message = refused.length > 0 ? refusedMessage(signal, refused) : "";
			return exportAnswer(c, encoding, signal, refused.length, message, headers);
		} catch (err) {
			if (err instanceof ApiError) return statusAnswer(c, encoding, err);
			throw err;
		}
	};
}
