/**
 * The contract's mapping (API.md, Standard clients) from decoded spans and
 * log records to events as a producer would send them to the batch route:
 * the result is validated by the same schema (EventInput) and goes through
 * the same tenant-object path. Choices where the contract is silent are in
 * the README (OpenTelemetry).
 */
import { type EventInputType, METHODS } from "../ingestion/event-schema";
import {
	type Attributes,
	type JsonValue,
	type OtlpLog,
	type OtlpSpan,
	RecordProblem,
	SPAN_KIND_SERVER,
	STATUS_CODE_ERROR,
} from "./model";

/**
 * A record that maps to an event, or why it cannot. A log record's event is
 * `input`, still to be validated by EventInput (its body and attributes are
 * anyone's JSON); a span's is `event`, valid by construction: every field is
 * made here within the schema's bounds, and only the timestamp's 5-minute
 * future bound is left to check, which costs a comparison instead of a
 * schema pass per span.
 */
export type Candidate =
	| { path: string; input: Record<string, unknown> }
	| { path: string; event: EventInputType }
	| { path: string; problem: string };

const NS_PER_MS = 1_000_000n;
const MAX_ENDPOINT = 512;
// source, user_id and session_id: the event schema's 128 characters.
const MAX_NAME = 128;

/** At most `max` UTF-16 units, never half of a surrogate pair. */
function truncate(s: string, max: number): string {
	if (s.length <= max) return s;
	const cut = s.slice(0, max);
	const last = cut.charCodeAt(max - 1);
	return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

const text = (v: JsonValue | undefined): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** `http.route`, else `url.path` or `http.target` without query or fragment. */
function endpointOf(a: Attributes): string | undefined {
	const route = text(a["http.route"]);
	if (route !== undefined) return truncate(route, MAX_ENDPOINT);
	const target = text(a["url.path"]) ?? text(a["http.target"]);
	if (target === undefined) return undefined;
	const end = target.search(/[?#]/);
	const path = end === -1 ? target : target.slice(0, end);
	return path === "" ? undefined : truncate(path, MAX_ENDPOINT);
}

const KNOWN_METHODS = new Set<string>(METHODS);

/** `http.request.method`, else `http.method`; one we do not store (`_OTHER`, CONNECT) is left out. */
function methodOf(a: Attributes): string | undefined {
	const m = text(a["http.request.method"]) ?? text(a["http.method"]);
	const upper = m?.toUpperCase();
	return upper !== undefined && KNOWN_METHODS.has(upper) ? upper : undefined;
}

/** `http.response.status_code`, else `http.status_code`: an integer 100-599 (or its digits). */
function statusOf(a: Attributes): number | undefined {
	const v = a["http.response.status_code"] ?? a["http.status_code"];
	const n = typeof v === "number" ? v : typeof v === "string" && /^\d{3}$/.test(v) ? Number(v) : Number.NaN;
	return Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

const ZEROS: Record<number, string> = { 16: "0".repeat(32), 8: "0".repeat(16) };

function idProblem(name: string, hex: string, bytes: 16 | 8, required: boolean): string | null {
	if (hex === "" && !required) return null;
	if (hex.length !== bytes * 2) return `${name} is ${hex.length / 2} bytes, expected ${bytes}`;
	if (hex === ZEROS[bytes]) return `${name} is all zeros`;
	return null;
}

const ms = (ns: bigint) => Number(ns / NS_PER_MS);

/** A SERVER span as an api_call; null for (readable) spans of other kinds, which are not events. */
export function spanEvent(s: OtlpSpan): Candidate | null {
	// A span that could not be read (its kind may be what was wrong) is refused whatever its kind.
	if (s.problem) return { path: s.path, problem: s.problem };
	if (s.kind !== SPAN_KIND_SERVER) return null;
	const problem =
		idProblem("trace_id", s.traceId, 16, true) ??
		idProblem("span_id", s.spanId, 8, true) ??
		(s.start === 0n ? "the span has no start time" : s.end < s.start ? "the span ends before it starts" : null);
	if (problem) return { path: s.path, problem };
	let attributes: Attributes;
	try {
		attributes = s.attributes();
	} catch (err) {
		if (err instanceof RecordProblem) return { path: s.path, problem: err.message };
		throw err;
	}
	const status = statusOf(attributes);
	const user = text(attributes["user.id"]) ?? text(attributes["enduser.id"]);
	const session = text(attributes["session.id"]);
	return {
		path: s.path,
		event: {
			event_id: `${s.traceId}-${s.spanId}`,
			event_type: "api_call",
			timestamp: ms(s.start),
			source: s.service === null ? null : truncate(s.service, MAX_NAME),
			severity: (status !== undefined && status >= 500) || s.statusCode === STATUS_CODE_ERROR ? "error" : null,
			endpoint: endpointOf(attributes) ?? null,
			method: (methodOf(attributes) as EventInputType["method"]) ?? null,
			status_code: status ?? null,
			response_time_ms: Number(s.end - s.start) / 1e6,
			user_id: user === undefined ? null : truncate(user, MAX_NAME),
			session_id: session === undefined ? null : truncate(session, MAX_NAME),
			payload: null,
			tags: { trace_id: s.traceId, span_id: s.spanId },
		},
	};
}

type Severity = "debug" | "info" | "warning" | "error" | "critical";

/** SeverityNumber ranges: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL. */
function severityOf(n: number, textValue: string): Severity | undefined {
	if (n >= 1) return (["debug", "debug", "info", "warning", "error", "critical"] as const)[Math.floor((n - 1) / 4)];
	// Unspecified: the severity text, when it is one of the usual words.
	const t = textValue.trim().toLowerCase();
	if (t === "trace" || t === "debug") return "debug";
	if (t === "info" || t === "notice") return "info";
	if (t === "warn" || t === "warning") return "warning";
	if (t === "error") return "error";
	if (t === "fatal" || t === "critical") return "critical";
	return undefined;
}

const encoder = new TextEncoder();

/**
 * The record's content (everything the mapping reads, and its scope), so a
 * retried export maps to the same id whether it is sent as protobuf or JSON.
 */
async function logId(l: OtlpLog): Promise<string> {
	const content = JSON.stringify([
		l.service,
		l.scope,
		l.time.toString(),
		l.observed.toString(),
		l.severityNumber,
		l.severityText,
		l.eventName,
		l.traceId,
		l.spanId,
		l.body,
		l.attributes,
	]);
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(content)));
	let hex = "";
	for (let i = 0; i < 16; i++) hex += digest[i]!.toString(16).padStart(2, "0");
	return `log-${hex}`;
}

/** A log record as an `error` (severity number >= 17) or `custom` event. */
export async function logEvent(l: OtlpLog): Promise<Candidate> {
	const problem =
		l.problem ??
		idProblem("trace_id", l.traceId, 16, false) ??
		idProblem("span_id", l.spanId, 8, false) ??
		(l.severityNumber < 0 || l.severityNumber > 24 ? `severity_number ${l.severityNumber} is outside 0-24` : null);
	if (problem) return { path: l.path, problem };
	const time = l.time !== 0n ? l.time : l.observed;
	const tags: Record<string, string> = {};
	if (l.traceId !== "") tags.trace_id = l.traceId;
	if (l.spanId !== "") tags.span_id = l.spanId;
	return {
		path: l.path,
		input: {
			event_id: await logId(l),
			event_type: l.severityNumber >= 17 ? "error" : "custom",
			// Neither time: the time it arrived, as for any event sent without one.
			timestamp: time === 0n ? undefined : ms(time),
			source: l.service === null ? undefined : truncate(l.service, MAX_NAME),
			severity: severityOf(l.severityNumber, l.severityText),
			payload: { body: l.body, attributes: l.attributes },
			tags: l.traceId === "" && l.spanId === "" ? undefined : tags,
		},
	};
}
