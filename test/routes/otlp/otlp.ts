/**
 * Helpers for the OTLP tests: sending exports, and a protobuf encoder (the
 * tests build bad and unusual messages by hand; the fixtures are what the
 * official exporters send).
 */
import { type Registered, call, flush, keyHeader } from "../../helpers";
import fixtures from "./fixtures.json";

export { fixtures };

export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export function exportTo(
	signal: "traces" | "logs",
	t: Registered | null,
	body: BodyInit,
	contentType = "application/x-protobuf",
	headers: Record<string, string> = {},
) {
	return call(`/api/v1/otlp/v1/${signal}`, {
		method: "POST",
		headers: { "Content-Type": contentType, ...(t ? keyHeader(t) : {}), ...headers },
		body,
	});
}

export const exportJson = (signal: "traces" | "logs", t: Registered, body: unknown) =>
	exportTo(signal, t, JSON.stringify(body), "application/json");

/** The tenant's stored events (after a flush), oldest first, as search returns them. */
export async function storedEvents(t: Registered): Promise<Record<string, any>[]> {
	await flush(t.tenant.id);
	const res = await call("/api/v1/ingestion/events/search?limit=1000", { headers: keyHeader(t) });
	const { events } = (await res.json()) as { events: Record<string, any>[] };
	return events.reverse();
}

type Field = [number, number, Uint8Array];

/** A protobuf message as fields; `finish()` gives its bytes. */
export class Pb {
	private fields: Field[] = [];

	private static varintBytes(v: bigint): number[] {
		let x = BigInt.asUintN(64, v);
		const out: number[] = [];
		do {
			let b = Number(x & 0x7fn);
			x >>= 7n;
			if (x > 0n) b |= 0x80;
			out.push(b);
		} while (x > 0n);
		return out;
	}

	/** A field with any wire type and raw payload bytes (for malformed messages). */
	raw(field: number, wire: number, payload: Uint8Array | number[]): this {
		this.fields.push([field, wire, payload instanceof Uint8Array ? payload : Uint8Array.from(payload)]);
		return this;
	}

	varint(field: number, v: number | bigint): this {
		return this.raw(field, 0, Pb.varintBytes(BigInt(v)));
	}

	fixed64(field: number, v: bigint): this {
		const b = new Uint8Array(8);
		new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
		return this.raw(field, 1, b);
	}

	double(field: number, v: number): this {
		const b = new Uint8Array(8);
		new DataView(b.buffer).setFloat64(0, v, true);
		return this.raw(field, 1, b);
	}

	bytes(field: number, v: Uint8Array | string): this {
		return this.raw(field, 2, typeof v === "string" ? new TextEncoder().encode(v) : v);
	}

	message(field: number, m: Pb): this {
		return this.bytes(field, m.finish());
	}

	finish(): Uint8Array {
		const heads = this.fields.map(([field, wire, payload]) =>
			Uint8Array.from([...Pb.varintBytes(BigInt((field << 3) | wire)), ...(wire === 2 ? Pb.varintBytes(BigInt(payload.byteLength)) : [])]),
		);
		const out = new Uint8Array(this.fields.reduce((n, [, , p], i) => n + heads[i]!.byteLength + p.byteLength, 0));
		let at = 0;
		this.fields.forEach(([, , payload], i) => {
			out.set(heads[i]!, at);
			at += heads[i]!.byteLength;
			out.set(payload, at);
			at += payload.byteLength;
		});
		return out;
	}
}

export const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

/** AnyValue from a JS value: string, boolean, bigint (int), number (double), array, object (kvlist), Uint8Array (bytes). */
export function anyValue(v: unknown): Pb {
	const m = new Pb();
	if (typeof v === "string") m.bytes(1, v);
	else if (typeof v === "boolean") m.varint(2, v ? 1 : 0);
	else if (typeof v === "bigint") m.varint(3, v);
	else if (typeof v === "number") m.double(4, v);
	else if (v instanceof Uint8Array) m.bytes(7, v);
	else if (Array.isArray(v)) {
		const arr = new Pb();
		for (const x of v) arr.message(1, anyValue(x));
		m.message(5, arr);
	} else if (typeof v === "object" && v !== null) {
		m.message(6, keyValues(v as Record<string, unknown>, 1));
	}
	return m;
}

export function keyValues(attrs: Record<string, unknown>, field: number, into = new Pb()): Pb {
	for (const key of Object.keys(attrs)) into.message(field, new Pb().bytes(1, key).message(2, anyValue(attrs[key])));
	return into;
}

export type SpanSpec = {
	traceId?: string;
	spanId?: string;
	name?: string;
	kind?: number;
	start?: bigint;
	end?: bigint;
	attributes?: Record<string, unknown>;
	status?: number;
};

export const SERVER = 2;
/** 2026-11-23T10:00:00Z in nanoseconds. */
export const T0_NS = BigInt(Date.UTC(2026, 10, 23, 10)) * 1_000_000n;

export function spanPb(s: SpanSpec): Pb {
	const m = new Pb()
		.bytes(1, hexBytes(s.traceId ?? "0af7651916cd43dd8448eb211c80319c"))
		.bytes(2, hexBytes(s.spanId ?? "b7ad6b7169203331"))
		.bytes(5, s.name ?? "GET /x")
		.varint(6, s.kind ?? SERVER)
		.fixed64(7, s.start ?? T0_NS)
		.fixed64(8, s.end ?? T0_NS + 5_000_000n);
	keyValues(s.attributes ?? {}, 9, m);
	if (s.status !== undefined) m.message(15, new Pb().varint(3, s.status));
	return m;
}

/** ExportTraceServiceRequest with one resource (service.name `service` unless null) and one scope. */
export function tracesPb(spans: Pb[], service: string | null = "api"): Uint8Array {
	const scope = new Pb().message(1, new Pb().bytes(1, "tests"));
	for (const s of spans) scope.message(2, s);
	const rs = new Pb();
	if (service !== null) rs.message(1, keyValues({ "service.name": service }, 1));
	rs.message(2, scope);
	return new Pb().message(1, rs).finish();
}

export type LogSpec = {
	time?: bigint;
	observed?: bigint;
	severityNumber?: number;
	severityText?: string;
	body?: unknown;
	attributes?: Record<string, unknown>;
	traceId?: string;
	spanId?: string;
};

export function logPb(l: LogSpec): Pb {
	const m = new Pb();
	if (l.time !== undefined) m.fixed64(1, l.time);
	if (l.severityNumber !== undefined) m.varint(2, l.severityNumber);
	if (l.severityText !== undefined) m.bytes(3, l.severityText);
	if (l.body !== undefined) m.message(5, anyValue(l.body));
	keyValues(l.attributes ?? {}, 6, m);
	if (l.traceId !== undefined) m.bytes(9, hexBytes(l.traceId));
	if (l.spanId !== undefined) m.bytes(10, hexBytes(l.spanId));
	if (l.observed !== undefined) m.fixed64(11, l.observed);
	return m;
}

export function logsPb(records: Pb[], service: string | null = "api"): Uint8Array {
	const scope = new Pb().message(1, new Pb().bytes(1, "tests"));
	for (const r of records) scope.message(2, r);
	const rl = new Pb();
	if (service !== null) rl.message(1, keyValues({ "service.name": service }, 1));
	rl.message(2, scope);
	return new Pb().message(1, rl).finish();
}

/** Reads an export response or a Status (field 1 a message or varint, field 2 a string), enough for the tests. */
export function readPb(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
	const out = new Map<number, (number | Uint8Array)[]>();
	let pos = 0;
	const varint = () => {
		let v = 0;
		let shift = 0;
		for (;;) {
			const b = bytes[pos++]!;
			v += (b & 0x7f) * 2 ** shift;
			if (b < 0x80) return v;
			shift += 7;
		}
	};
	while (pos < bytes.length) {
		const tag = varint();
		const field = Math.floor(tag / 8);
		const wire = tag & 7;
		const list = out.get(field) ?? [];
		if (wire === 0) list.push(varint());
		else if (wire === 2) {
			const len = varint();
			list.push(bytes.subarray(pos, pos + len));
			pos += len;
		} else throw new Error(`wire type ${wire}`);
		out.set(field, list);
	}
	return out;
}
