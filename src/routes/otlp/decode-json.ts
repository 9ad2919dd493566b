/**
 * ExportTraceServiceRequest and ExportLogsServiceRequest from OTLP/JSON (the
 * protobuf JSON mapping with OTLP's rules): trace and span ids as hex, 64-bit
 * integers as decimal strings or numbers, enums as integers (their names are
 * taken too), bytes as base64, unknown fields ignored. Field names are
 * lowerCamelCase; the proto names (`resource_spans`) are read as well, as
 * protobuf JSON parsers do. A structure of the wrong type (`spans` that is not
 * an array) is undecodable, a DecodeError (400); a bad value inside one
 * record (an id that is not hex, a time that is not an integer) refuses that
 * record alone.
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
	TooDeep,
	doubleValue,
	int64Value,
	put,
} from "./model";
import { DecodeError } from "./protobuf";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `o.camel`, else `o.snake_case`; undefined for null too (protobuf JSON's "absent"). */
function get(o: Obj, camel: string, snake?: string): unknown {
	const v = o[camel] ?? (snake ? o[snake] : undefined);
	return v === null ? undefined : v;
}

function list(o: Obj, path: string, camel: string, snake: string): Obj[] {
	const v = get(o, camel, snake);
	if (v === undefined) return [];
	if (!Array.isArray(v)) throw new DecodeError(`${path}${camel} is not an array`);
	v.forEach((item, i) => {
		if (!isObj(item)) throw new DecodeError(`${path}${camel}[${i}] is not an object`);
	});
	return v as Obj[];
}

function object(o: Obj, path: string, camel: string, snake?: string): Obj | undefined {
	const v = get(o, camel, snake);
	if (v === undefined) return undefined;
	if (!isObj(v)) throw new DecodeError(`${path}${camel} is not an object`);
	return v;
}

function string(o: Obj, camel: string, snake?: string): string {
	const v = get(o, camel, snake);
	if (v === undefined) return "";
	if (typeof v !== "string") throw new RecordProblem(`${camel} is not a string`);
	return v;
}

const U64_MAX = (1n << 64n) - 1n;

/** A fixed64 time: a decimal string or a number. */
function uint64(o: Obj, camel: string, snake: string): bigint {
	const v = get(o, camel, snake);
	if (v === undefined) return 0n;
	let n: bigint | null = null;
	if (typeof v === "string" && /^\d{1,20}$/.test(v)) n = BigInt(v);
	else if (typeof v === "number" && Number.isInteger(v) && v >= 0) n = BigInt(v);
	if (n === null || n > U64_MAX) throw new RecordProblem(`${camel} is not an unsigned 64-bit integer`);
	return n;
}

/** An enum: its number, or its name among `names` (index = value). */
function enumValue(o: Obj, camel: string, snake: string, names: readonly string[]): number {
	const v = get(o, camel, snake);
	if (v === undefined) return 0;
	if (typeof v === "number" && Number.isInteger(v)) return v;
	if (typeof v === "string" && names.includes(v)) return names.indexOf(v);
	throw new RecordProblem(`${camel} is not a valid enum value`);
}

function hexId(o: Obj, camel: string, snake: string): string {
	const v = string(o, camel, snake);
	if (!/^[0-9a-fA-F]*$/.test(v)) throw new RecordProblem(`${camel} is not hex`);
	return v.toLowerCase();
}

function anyValue(v: unknown, depth: number): JsonValue {
	if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
	if (v === undefined || v === null) return null;
	if (!isObj(v)) throw new RecordProblem("an AnyValue is not an object");
	const s = get(v, "stringValue", "string_value");
	if (s !== undefined) {
		if (typeof s !== "string") throw new RecordProblem("stringValue is not a string");
		return s;
	}
	const b = get(v, "boolValue", "bool_value");
	if (b !== undefined) {
		if (typeof b !== "boolean") throw new RecordProblem("boolValue is not a boolean");
		return b;
	}
	const i = get(v, "intValue", "int_value");
	if (i !== undefined) {
		if (typeof i === "number" && Number.isInteger(i)) return Number.isSafeInteger(i) ? i : int64Value(BigInt(i));
		if (typeof i === "string" && /^-?\d{1,19}$/.test(i)) {
			const n = BigInt(i);
			if (n === BigInt.asIntN(64, n)) return int64Value(n);
		}
		throw new RecordProblem("intValue is not a 64-bit integer");
	}
	const d = get(v, "doubleValue", "double_value");
	if (d !== undefined) {
		if (typeof d === "number") return doubleValue(d);
		if (d === "NaN" || d === "Infinity" || d === "-Infinity") return d;
		throw new RecordProblem("doubleValue is not a number");
	}
	const a = get(v, "arrayValue", "array_value");
	if (a !== undefined) {
		if (!isObj(a)) throw new RecordProblem("arrayValue is not an object");
		const values = get(a, "values") ?? [];
		if (!Array.isArray(values)) throw new RecordProblem("arrayValue.values is not an array");
		return values.map((x) => anyValue(x, depth + 1));
	}
	const kv = get(v, "kvlistValue", "kvlist_value");
	if (kv !== undefined) {
		if (!isObj(kv)) throw new RecordProblem("kvlistValue is not an object");
		return keyValues(get(kv, "values"), depth + 1);
	}
	const bytes = get(v, "bytesValue", "bytes_value");
	if (bytes !== undefined) {
		if (typeof bytes !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(bytes)) throw new RecordProblem("bytesValue is not base64");
		return bytes;
	}
	return null;
}

/** A KeyValue list as an object; with `only`, other keys are passed over, their values never read. */
function keyValues(v: unknown, depth: number, only?: ReadonlySet<string>): Attributes {
	const out: Attributes = {};
	if (v === undefined || v === null) return out;
	if (!Array.isArray(v)) throw new RecordProblem("attributes is not an array");
	for (const kv of v) {
		if (!isObj(kv)) throw new RecordProblem("an attribute is not an object");
		const key = get(kv, "key");
		if (key !== undefined && typeof key !== "string") throw new RecordProblem("an attribute key is not a string");
		if (only && !only.has((key as string | undefined) ?? "")) continue;
		put(out, (key as string | undefined) ?? "", anyValue(get(kv, "value"), depth));
	}
	return out;
}

function serviceName(resource: Obj | undefined): string | null {
	if (!resource) return null;
	const attrs = get(resource, "attributes");
	if (!Array.isArray(attrs)) return null;
	for (const kv of attrs) {
		if (isObj(kv) && kv.key === "service.name" && isObj(kv.value)) {
			const v = get(kv.value, "stringValue", "string_value");
			return typeof v === "string" ? v : null;
		}
	}
	return null;
}

const SPAN_KINDS = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"] as const;
const STATUS_CODES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;
const SEVERITY_NAMES = [
	"SEVERITY_NUMBER_UNSPECIFIED",
	...["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((n) => ["", "2", "3", "4"].map((k) => `SEVERITY_NUMBER_${n}${k}`)),
];

function root(body: unknown): Obj {
	if (!isObj(body)) throw new DecodeError("the body is not a JSON object");
	return body;
}

function span(sp: Obj, path: string, service: string | null): OtlpSpan {
	const s = emptySpan(path, service);
	try {
		s.kind = enumValue(sp, "kind", "kind", SPAN_KINDS);
		s.traceId = hexId(sp, "traceId", "trace_id");
		s.spanId = hexId(sp, "spanId", "span_id");
		s.name = string(sp, "name");
		s.start = uint64(sp, "startTimeUnixNano", "start_time_unix_nano");
		s.end = uint64(sp, "endTimeUnixNano", "end_time_unix_nano");
		const status = get(sp, "status");
		if (status !== undefined) {
			if (!isObj(status)) throw new RecordProblem("status is not an object");
			s.statusCode = enumValue(status, "code", "code", STATUS_CODES);
		}
		const attributes = get(sp, "attributes");
		s.attributes = () => keyValues(attributes, 1, SPAN_ATTRIBUTES);
	} catch (err) {
		if (!(err instanceof RecordProblem)) throw err;
		s.problem = err.message;
	}
	return s;
}

export function decodeTracesJson(body: unknown): OtlpSpan[] {
	const spans: OtlpSpan[] = [];
	list(root(body), "", "resourceSpans", "resource_spans").forEach((rs, i) => {
		const at = `resourceSpans[${i}].`;
		const service = serviceName(object(rs, at, "resource"));
		list(rs, at, "scopeSpans", "scope_spans").forEach((ss, j) => {
			const inner = `${at}scopeSpans[${j}].`;
			list(ss, inner, "spans", "spans").forEach((sp, k) => spans.push(span(sp, `${inner}spans[${k}]`, service)));
		});
	});
	return spans;
}

function logRecord(lr: Obj, path: string, service: string | null, scope: string): OtlpLog {
	const l = emptyLog(path, service, scope);
	try {
		l.time = uint64(lr, "timeUnixNano", "time_unix_nano");
		l.observed = uint64(lr, "observedTimeUnixNano", "observed_time_unix_nano");
		l.severityNumber = enumValue(lr, "severityNumber", "severity_number", SEVERITY_NAMES);
		l.severityText = string(lr, "severityText", "severity_text");
		l.eventName = string(lr, "eventName", "event_name");
		l.traceId = hexId(lr, "traceId", "trace_id");
		l.spanId = hexId(lr, "spanId", "span_id");
		l.body = anyValue(get(lr, "body"), 1);
		l.attributes = keyValues(get(lr, "attributes"), 1);
	} catch (err) {
		if (!(err instanceof RecordProblem)) throw err;
		l.problem = err.message;
	}
	return l;
}

export function decodeLogsJson(body: unknown): OtlpLog[] {
	const logs: OtlpLog[] = [];
	list(root(body), "", "resourceLogs", "resource_logs").forEach((rl, i) => {
		const at = `resourceLogs[${i}].`;
		const service = serviceName(object(rl, at, "resource"));
		list(rl, at, "scopeLogs", "scope_logs").forEach((sl, j) => {
			const inner = `${at}scopeLogs[${j}].`;
			const scopeObj = object(sl, inner, "scope");
			const scope = scopeObj && typeof scopeObj.name === "string" ? scopeObj.name : "";
			list(sl, inner, "logRecords", "log_records").forEach((lr, k) =>
				logs.push(logRecord(lr, `${inner}logRecords[${k}]`, service, scope)),
			);
		});
	});
	return logs;
}
