/**
 * ExportTraceServiceRequest and ExportLogsServiceRequest from protobuf, by
 * hand for the fields we read (field numbers from opentelemetry-proto v1:
 * collector/trace/v1, collector/logs/v1, trace/v1, logs/v1, common/v1,
 * resource/v1). Unknown fields are skipped; malformed protobuf throws
 * DecodeError (400). Of a span's attributes only those the mapping reads are
 * decoded, and only for SERVER spans, the only kind that becomes an event:
 * the other values are skipped by their length, never built.
 */
import {
	type Attributes,
	type JsonValue,
	MAX_VALUE_DEPTH,
	type OtlpLog,
	type OtlpSpan,
	emptyLog,
	emptySpan,
	RecordProblem,
	SPAN_ATTRIBUTES,
	SPAN_KIND_SERVER,
	TooDeep,
	doubleValue,
	int64Value,
	put,
	toBase64,
} from "./model";
import { Reader, WIRE, byLength, tag } from "./protobuf";

const LEN = (field: number) => tag(field, WIRE.LEN);
const VARINT = (field: number) => tag(field, WIRE.VARINT);
const I64 = (field: number) => tag(field, WIRE.I64);

// common.v1.AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7.
const ANY_STRING = LEN(1);
const ANY_BOOL = VARINT(2);
const ANY_INT = VARINT(3);
const ANY_DOUBLE = I64(4);
const ANY_ARRAY = LEN(5);
const ANY_KVLIST = LEN(6);
const ANY_BYTES = LEN(7);
// KeyValue: key 1, value 2; ArrayValue and KeyValueList: values 1.
const KV_KEY = LEN(1);
const KV_VALUE = LEN(2);
const VALUES = LEN(1);

function anyValue(r: Reader, depth: number): JsonValue {
	if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
	let value: JsonValue = null;
	while (!r.done()) {
		const t = r.next();
		if (t === ANY_STRING) value = r.string();
		else if (t === ANY_BOOL) value = r.bool();
		else if (t === ANY_INT) value = int64Value(r.int64());
		else if (t === ANY_DOUBLE) value = doubleValue(r.double());
		else if (t === ANY_ARRAY) value = arrayValue(r.message(), depth + 1);
		else if (t === ANY_KVLIST) value = keyValues(r.message(), depth + 1);
		else if (t === ANY_BYTES) value = toBase64(r.bytes());
		else r.skip(t & 7);
	}
	return value;
}

function arrayValue(r: Reader, depth: number): JsonValue[] {
	const out: JsonValue[] = [];
	while (!r.done()) {
		const t = r.next();
		if (t === VALUES) out.push(anyValue(r.message(), depth));
		else r.skip(t & 7);
	}
	return out;
}

/** One KeyValue into `into`. */
function keyValue(r: Reader, into: Attributes, depth: number): void {
	let key = "";
	let value: Reader | null = null;
	while (!r.done()) {
		const t = r.next();
		if (t === KV_KEY) key = r.string();
		else if (t === KV_VALUE) value = r.message();
		else r.skip(t & 7);
	}
	put(into, key, value ? anyValue(value, depth) : null);
}

/**
 * One KeyValue into `into` when its key is one of `only` (by bytes, see
 * Reader.oneOf); any other is passed over, its value never decoded.
 */
function wantedKeyValue(r: Reader, into: Attributes, only: Map<number, [Uint8Array, string][]>): void {
	let key: string | null = null;
	let value: Reader | null = null;
	while (!r.done()) {
		const t = r.next();
		if (t === KV_KEY) {
			key = r.oneOf(only);
			if (key === null) return;
		} else if (t === KV_VALUE) value = r.message();
		else r.skip(t & 7);
	}
	if (key !== null) put(into, key, value ? anyValue(value, 1) : null);
}

/** KeyValueList: repeated KeyValue values = 1, as an object. */
function keyValues(r: Reader, depth: number): Attributes {
	const out: Attributes = {};
	while (!r.done()) {
		const t = r.next();
		if (t === VALUES) keyValue(r.message(), out, depth);
		else r.skip(t & 7);
	}
	return out;
}

const SERVICE = byLength(["service.name"]);
const WANTED_SPAN_ATTRIBUTES = byLength(SPAN_ATTRIBUTES);
const RESOURCE_ATTRIBUTE = LEN(1);

/** resource.v1.Resource: repeated KeyValue attributes = 1; only service.name is read. */
function serviceName(r: Reader): string | null {
	const found: Attributes = {};
	while (!r.done()) {
		const t = r.next();
		if (t === RESOURCE_ATTRIBUTE) wantedKeyValue(r.message(), found, SERVICE);
		else r.skip(t & 7);
	}
	const v = found["service.name"];
	return typeof v === "string" ? v : null;
}

const SCOPE_NAME = LEN(1);

/** scope.v1.InstrumentationScope: string name = 1. */
function scopeName(r: Reader): string {
	let name = "";
	while (!r.done()) {
		const t = r.next();
		if (t === SCOPE_NAME) name = r.string();
		else r.skip(t & 7);
	}
	return name;
}

/**
 * The messages of one repeated field (`want`, a tag), returned to be read
 * once the message's other fields are known; `other` takes those it wants
 * (the resource, the scope) and returns false for the rest, which are skipped.
 */
function repeated(r: Reader, want: number, other: (t: number, r: Reader) => boolean = () => false): Reader[] {
	const found: Reader[] = [];
	while (!r.done()) {
		const t = r.next();
		if (t === want) found.push(r.message());
		else if (!other(t, r)) r.skip(t & 7);
	}
	return found;
}

// trace.v1.Span: trace_id 1, span_id 2, name 5, kind 6, start 7, end 8, attributes 9, status 15.
const SPAN_TRACE_ID = LEN(1);
const SPAN_SPAN_ID = LEN(2);
const SPAN_NAME = LEN(5);
const SPAN_KIND = VARINT(6);
const SPAN_START = I64(7);
const SPAN_END = I64(8);
const SPAN_ATTRIBUTE = LEN(9);
const SPAN_STATUS = LEN(15);
// Status: string message = 2, StatusCode code = 3.
const STATUS_CODE = VARINT(3);

function span(r: Reader, path: string, service: string | null): OtlpSpan {
	const s = emptySpan(path, service);
	// Serializers write fields in number order, so the kind (6) comes before the attributes (9):
	// a SERVER span's are read at once, another kind's skipped. Only when an attribute comes
	// first are the ranges kept, to be read if the kind turns out to be SERVER.
	let kindSeen = false;
	let attributes: Attributes | null = null;
	let ranges: number[] | null = null;
	while (!r.done()) {
		const t = r.next();
		if (t === SPAN_TRACE_ID) s.traceId = r.hex();
		else if (t === SPAN_SPAN_ID) s.spanId = r.hex();
		else if (t === SPAN_NAME) s.name = r.string();
		else if (t === SPAN_KIND) {
			s.kind = r.int32();
			kindSeen = true;
		} else if (t === SPAN_START) s.start = r.fixed64();
		else if (t === SPAN_END) s.end = r.fixed64();
		else if (t === SPAN_ATTRIBUTE) {
			const start = r.take();
			if (!kindSeen) (ranges ??= []).push(start, r.pos);
			else if (s.kind === SPAN_KIND_SERVER && s.problem === null) {
				try {
					wantedKeyValue(r.sub(start, r.pos), (attributes ??= {}), WANTED_SPAN_ATTRIBUTES);
				} catch (err) {
					// A value too deep to keep refuses this span alone; malformed protobuf still fails the export.
					if (!(err instanceof RecordProblem)) throw err;
					s.problem = err.message;
				}
			}
		} else if (t === SPAN_STATUS) {
			const st = r.message();
			while (!st.done()) {
				const u = st.next();
				if (u === STATUS_CODE) s.statusCode = st.int32();
				else st.skip(u & 7);
			}
		} else r.skip(t & 7);
	}
	const early = ranges;
	if (early) {
		// Read when the mapping asks (a SERVER span); a DecodeError or TooDeep surfaces there.
		s.attributes = () => {
			const out: Attributes = attributes ?? {};
			for (let i = 0; i < early.length; i += 2) wantedKeyValue(r.sub(early[i]!, early[i + 1]!), out, WANTED_SPAN_ATTRIBUTES);
			return out;
		};
	} else if (attributes) {
		const read = attributes;
		s.attributes = () => read;
	}
	return s;
}

const RESOURCE = LEN(1);
const SCOPES = LEN(2);
const ITEMS = LEN(2);
const SCOPE = LEN(1);

export function decodeTracesProto(buf: Uint8Array): OtlpSpan[] {
	const spans: OtlpSpan[] = [];
	repeated(new Reader(buf), LEN(1)).forEach((rs, i) => {
		let service: string | null = null;
		const scopes = repeated(rs, SCOPES, (t, r) => t === RESOURCE && ((service = serviceName(r.message())), true));
		scopes.forEach((ss, j) => {
			repeated(ss, ITEMS).forEach((sp, k) => {
				spans.push(span(sp, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`, service));
			});
		});
	});
	return spans;
}

// logs.v1.LogRecord: time 1, severity_number 2, severity_text 3, body 5, attributes 6,
// trace_id 9, span_id 10, observed time 11, event_name 12.
const LOG_TIME = I64(1);
const LOG_OBSERVED = I64(11);
const LOG_SEVERITY = VARINT(2);
const LOG_SEVERITY_TEXT = LEN(3);
const LOG_BODY = LEN(5);
const LOG_ATTRIBUTE = LEN(6);
const LOG_TRACE_ID = LEN(9);
const LOG_SPAN_ID = LEN(10);
const LOG_EVENT_NAME = LEN(12);

function logRecord(r: Reader, path: string, service: string | null, scope: string): OtlpLog {
	const l = emptyLog(path, service, scope);
	try {
		while (!r.done()) {
			const t = r.next();
			if (t === LOG_TIME) l.time = r.fixed64();
			else if (t === LOG_OBSERVED) l.observed = r.fixed64();
			else if (t === LOG_SEVERITY) l.severityNumber = r.int32();
			else if (t === LOG_SEVERITY_TEXT) l.severityText = r.string();
			else if (t === LOG_BODY) l.body = anyValue(r.message(), 1);
			else if (t === LOG_ATTRIBUTE) keyValue(r.message(), l.attributes, 1);
			else if (t === LOG_TRACE_ID) l.traceId = r.hex();
			else if (t === LOG_SPAN_ID) l.spanId = r.hex();
			else if (t === LOG_EVENT_NAME) l.eventName = r.string();
			else r.skip(t & 7);
		}
	} catch (err) {
		// Too deep to keep, yet well-formed: this record is refused, the export goes on.
		if (!(err instanceof RecordProblem)) throw err;
		l.problem = err.message;
	}
	return l;
}

export function decodeLogsProto(buf: Uint8Array): OtlpLog[] {
	const logs: OtlpLog[] = [];
	repeated(new Reader(buf), LEN(1)).forEach((rl, i) => {
		let service: string | null = null;
		const scopes = repeated(rl, SCOPES, (t, r) => t === RESOURCE && ((service = serviceName(r.message())), true));
		scopes.forEach((sl, j) => {
			let scope = "";
			const records = repeated(sl, ITEMS, (t, r) => t === SCOPE && ((scope = scopeName(r.message())), true));
			records.forEach((lr, k) => {
				logs.push(logRecord(lr, `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`, service, scope));
			});
		});
	});
	return logs;
}
