/**
 * ExportTraceServiceRequest and ExportLogsServiceRequest from protobuf, by
 * hand for the fields we read (field numbers from opentelemetry-proto v1:
 * collector/trace/v1, collector/logs/v1, trace/v1, logs/v1, common/v1,
 * resource/v1). Unknown fields are skipped; malformed protobuf throws
 * DecodeError (400). A span's attributes are only decoded when it is a
 * SERVER span, the only kind that becomes an event.
 */
import {
	type Attributes,
	type JsonValue,
	MAX_VALUE_DEPTH,
	type OtlpLog,
	type OtlpSpan,
	RecordProblem,
	TooDeep,
	doubleValue,
	int64Value,
	put,
	toBase64,
	toHex,
} from "./model";
import { Reader, WIRE } from "./protobuf";

/** common.v1.AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7. */
function anyValue(r: Reader, depth: number): JsonValue {
	if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
	let value: JsonValue = null;
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field === 1 && wire === WIRE.LEN) value = r.string();
		else if (field === 2 && wire === WIRE.VARINT) value = r.bool();
		else if (field === 3 && wire === WIRE.VARINT) value = int64Value(r.int64());
		else if (field === 4 && wire === WIRE.I64) value = doubleValue(r.double());
		else if (field === 5 && wire === WIRE.LEN) value = arrayValue(r.message(), depth + 1);
		else if (field === 6 && wire === WIRE.LEN) value = keyValues(r.message(), 1, depth + 1);
		else if (field === 7 && wire === WIRE.LEN) value = toBase64(r.bytes());
		else r.skip(wire);
	}
	return value;
}

/** ArrayValue: repeated AnyValue values = 1. */
function arrayValue(r: Reader, depth: number): JsonValue[] {
	const out: JsonValue[] = [];
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field === 1 && wire === WIRE.LEN) out.push(anyValue(r.message(), depth));
		else r.skip(wire);
	}
	return out;
}

/** KeyValue: string key = 1, AnyValue value = 2. */
function keyValue(r: Reader, into: Attributes, depth: number): void {
	let key = "";
	let value: JsonValue = null;
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field === 1 && wire === WIRE.LEN) key = r.string();
		else if (field === 2 && wire === WIRE.LEN) value = anyValue(r.message(), depth);
		else r.skip(wire);
	}
	put(into, key, value);
}

/** The repeated KeyValue `field` of a message (KeyValueList.values = 1) as an object. */
function keyValues(r: Reader, field: number, depth: number): Attributes {
	const out: Attributes = {};
	while (!r.done()) {
		const [f, wire] = r.tag();
		if (f === field && wire === WIRE.LEN) keyValue(r.message(), out, depth);
		else r.skip(wire);
	}
	return out;
}

/** Attributes from the KeyValue messages at these [start, end) ranges of `buf`. */
function attributesAt(buf: Uint8Array, ranges: number[]): Attributes {
	const out: Attributes = {};
	for (let i = 0; i < ranges.length; i += 2) keyValue(new Reader(buf, ranges[i], ranges[i + 1]), out, 1);
	return out;
}

/** resource.v1.Resource: repeated KeyValue attributes = 1; only service.name is read. */
function serviceName(r: Reader): string | null {
	let service: string | null = null;
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field !== 1 || wire !== WIRE.LEN) {
			r.skip(wire);
			continue;
		}
		const kv = r.message();
		let key = "";
		let value: Reader | null = null;
		while (!kv.done()) {
			const [f, w] = kv.tag();
			if (f === 1 && w === WIRE.LEN) key = kv.string();
			else if (f === 2 && w === WIRE.LEN) value = kv.message();
			else kv.skip(w);
		}
		if (key === "service.name" && value) {
			const v = anyValue(value, 1);
			service = typeof v === "string" ? v : null;
		}
	}
	return service;
}

/** scope.v1.InstrumentationScope: string name = 1. */
function scopeName(r: Reader): string {
	let name = "";
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field === 1 && wire === WIRE.LEN) name = r.string();
		else r.skip(wire);
	}
	return name;
}

/** The messages of one repeated `field`, returned to be read once the other fields (the resource, the scope) are known; `onOther` takes those. */
function repeated(r: Reader, field: number, onOther: (field: number, wire: number, r: Reader) => boolean): Reader[] {
	const found: Reader[] = [];
	while (!r.done()) {
		const [f, wire] = r.tag();
		if (f === field && wire === WIRE.LEN) found.push(r.message());
		else if (!onOther(f, wire, r)) r.skip(wire);
	}
	return found;
}

/** trace.v1.Span: trace_id 1, span_id 2, name 5, kind 6, start 7, end 8, attributes 9, status 15. */
function span(r: Reader, path: string, service: string | null): OtlpSpan {
	const s: OtlpSpan = {
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
	const ranges: number[] = [];
	while (!r.done()) {
		const [field, wire] = r.tag();
		if (field === 1 && wire === WIRE.LEN) s.traceId = toHex(r.bytes());
		else if (field === 2 && wire === WIRE.LEN) s.spanId = toHex(r.bytes());
		else if (field === 5 && wire === WIRE.LEN) s.name = r.string();
		else if (field === 6 && wire === WIRE.VARINT) s.kind = r.int32();
		else if (field === 7 && wire === WIRE.I64) s.start = r.fixed64();
		else if (field === 8 && wire === WIRE.I64) s.end = r.fixed64();
		else if (field === 9 && wire === WIRE.LEN) ranges.push(...r.span());
		else if (field === 15 && wire === WIRE.LEN) {
			// Status: string message = 2, StatusCode code = 3.
			const st = r.message();
			while (!st.done()) {
				const [f, w] = st.tag();
				if (f === 3 && w === WIRE.VARINT) s.statusCode = st.int32();
				else st.skip(w);
			}
		} else r.skip(wire);
	}
	if (ranges.length > 0) s.attributes = () => attributesAt(r.buf, ranges);
	return s;
}

export function decodeTracesProto(buf: Uint8Array): OtlpSpan[] {
	const spans: OtlpSpan[] = [];
	const resources = repeated(new Reader(buf), 1, () => false);
	resources.forEach((rs, i) => {
		let service: string | null = null;
		const scopes = repeated(rs, 2, (f, w, r) => {
			if (f !== 1 || w !== WIRE.LEN) return false;
			service = serviceName(r.message());
			return true;
		});
		scopes.forEach((ss, j) => {
			repeated(ss, 2, () => false).forEach((sp, k) => {
				spans.push(span(sp, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`, service));
			});
		});
	});
	return spans;
}

/**
 * logs.v1.LogRecord: time 1, severity_number 2, severity_text 3, body 5,
 * attributes 6, trace_id 9, span_id 10, observed time 11, event_name 12.
 */
function logRecord(r: Reader, path: string, service: string | null, scope: string): OtlpLog {
	const l: OtlpLog = {
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
	try {
		while (!r.done()) {
			const [field, wire] = r.tag();
			if (field === 1 && wire === WIRE.I64) l.time = r.fixed64();
			else if (field === 11 && wire === WIRE.I64) l.observed = r.fixed64();
			else if (field === 2 && wire === WIRE.VARINT) l.severityNumber = r.int32();
			else if (field === 3 && wire === WIRE.LEN) l.severityText = r.string();
			else if (field === 5 && wire === WIRE.LEN) l.body = anyValue(r.message(), 1);
			else if (field === 6 && wire === WIRE.LEN) keyValue(r.message(), l.attributes, 1);
			else if (field === 9 && wire === WIRE.LEN) l.traceId = toHex(r.bytes());
			else if (field === 10 && wire === WIRE.LEN) l.spanId = toHex(r.bytes());
			else if (field === 12 && wire === WIRE.LEN) l.eventName = r.string();
			else r.skip(wire);
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
	const resources = repeated(new Reader(buf), 1, () => false);
	resources.forEach((rl, i) => {
		let service: string | null = null;
		const scopes = repeated(rl, 2, (f, w, r) => {
			if (f !== 1 || w !== WIRE.LEN) return false;
			service = serviceName(r.message());
			return true;
		});
		scopes.forEach((sl, j) => {
			let scope = "";
			const records = repeated(sl, 2, (f, w, r) => {
				if (f !== 1 || w !== WIRE.LEN) return false;
				scope = scopeName(r.message());
				return true;
			});
			records.forEach((lr, k) => {
				logs.push(logRecord(lr, `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`, service, scope));
			});
		});
	});
	return logs;
}
