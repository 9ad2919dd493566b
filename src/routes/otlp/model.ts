/**
 * What both decoders (decode-proto.ts, decode-json.ts) make of an OTLP export:
 * only the fields the mapping (mapping.ts) reads, in one shape whatever the
 * encoding, so the mapping rules exist once.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Attributes = Record<string, JsonValue>;

export const SPAN_KIND_SERVER = 2;

/**
 * The span attributes the mapping reads (mapping.ts); decoders build no
 * others. Spans keep no payload: an api_call is its columns.
 */
export const SPAN_ATTRIBUTES: ReadonlySet<string> = new Set([
	"http.route",
	"url.path",
	"http.target",
	"http.request.method",
	"http.method",
	"http.response.status_code",
	"http.status_code",
	"user.id",
	"enduser.id",
	"session.id",
]);
export const STATUS_CODE_ERROR = 2;

/** Fields every record has: where it sits in the export (for error messages) and its resource's service. */
type Common = {
	/** e.g. `resourceSpans[0].scopeSpans[1].spans[7]` */
	path: string;
	service: string | null;
	/** Hex, "" when absent; any length (the mapping checks it). */
	traceId: string;
	spanId: string;
	/** Why the record cannot become an event although the export decoded (it is counted as rejected). */
	problem: string | null;
};

export type OtlpSpan = Common & {
	kind: number;
	name: string;
	/** Unix nanoseconds; 0n when absent. */
	start: bigint;
	end: bigint;
	statusCode: number;
	/** The SPAN_ATTRIBUTES it has, decoded only for SERVER spans (the others are not events). */
	attributes: () => Attributes;
};

export type OtlpLog = Common & {
	scope: string;
	time: bigint;
	observed: bigint;
	severityNumber: number;
	severityText: string;
	eventName: string;
	body: JsonValue;
	attributes: Attributes;
};

/** A span with nothing read yet (each decoder fills in what it finds). */
export function emptySpan(path: string, service: string | null): OtlpSpan {
	return {
		path,
		service,
		traceId: "",
		spanId: "",
		problem: null,
		kind: 0,
		name: "",
		start: 0n,
		end: 0n,
		statusCode: 0,
		attributes: () => ({}),
	};
}

/** A log record with nothing read yet. */
export function emptyLog(path: string, service: string | null, scope: string): OtlpLog {
	return {
		path,
		service,
		scope,
		traceId: "",
		spanId: "",
		problem: null,
		time: 0n,
		observed: 0n,
		severityNumber: 0,
		severityText: "",
		eventName: "",
		body: null,
		attributes: {},
	};
}

/** An attribute value nested deeper than this is not converted (the record is rejected). */
export const MAX_VALUE_DEPTH = 40;

/**
 * Why one record cannot become an event although the export decoded: thrown
 * while reading it, caught for it alone (it is counted as rejected and named
 * in partialSuccess), never for the export.
 */
export class RecordProblem extends Error {}

export class TooDeep extends RecordProblem {
	constructor() {
		super(`an attribute or body value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
	}
}

/**
 * Sets `key` as an own property even when it is `__proto__` (an assignment
 * would set the prototype instead), so attributes are kept as sent.
 */
export function put(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
	if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
	else target[key] = value;
}

/** An int64 as JSON can carry it: a number when exact, else its decimal string. */
export function int64Value(v: bigint): number | string {
	return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** A double as JSON can carry it: NaN and the infinities become their names. */
export function doubleValue(v: number): number | string {
	return Number.isFinite(v) ? v : String(v);
}

export function toBase64(bytes: Uint8Array): string {
	let s = "";
	for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(s);
}
