/**
 * A reader for the protobuf wire format, enough for the OTLP messages we read
 * (decode-proto.ts). Workers cannot generate code at run time, so there is no
 * reflection here: each message is a loop over its fields. Anything that is
 * not well-formed protobuf (a truncated varint, a length past the end, a group
 * or an unknown wire type) throws DecodeError, which the route answers 400.
 * A known field sent with another wire type is skipped like an unknown one, as
 * the reference implementations do.
 */
export class DecodeError extends Error {}

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** The tag of `field` sent with `wire`. */
export const tag = (field: number, wire: number) => (field << 3) | wire;

const utf8 = new TextDecoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `oneOf`'s lookup for these strings. */
export function byLength(values: Iterable<string>): Map<number, [Uint8Array, string][]> {
	const map = new Map<number, [Uint8Array, string][]>();
	for (const value of values) {
		const bytes = new TextEncoder().encode(value);
		map.set(bytes.length, [...(map.get(bytes.length) ?? []), [bytes, value]]);
	}
	return map;
}

export class Reader {
	pos: number;
	/** One DataView for the whole buffer, shared by every reader of its messages (fixed64, double). */
	private readonly view: DataView;

	constructor(
		readonly buf: Uint8Array,
		start = 0,
		readonly end = buf.byteLength,
		view?: DataView,
	) {
		this.pos = start;
		this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
	}

	/** A reader over [start, end) of the same buffer. */
	sub(start: number, end: number): Reader {
		return new Reader(this.buf, start, end, this.view);
	}

	done(): boolean {
		return this.pos >= this.end;
	}

	/**
	 * The next field's tag, `field << 3 | wire type`: decoders compare it with
	 * constants made by `tag()` below (a known field with another wire type
	 * matches none, so it is skipped) and pass `t & 7` to `skip`.
	 */
	next(): number {
		const t = this.uint32();
		if (t >>> 3 === 0) throw new DecodeError("field number 0");
		return t;
	}

	/** A varint's low 32 bits as an unsigned number (enums, counts, int32 fields). */
	uint32(): number {
		let result = 0;
		let shift = 0;
		for (let i = 0; i < 10; i++) {
			if (this.pos >= this.end) throw new DecodeError("truncated varint");
			const b = this.buf[this.pos++]!;
			if (shift < 32) result |= (b & 0x7f) << shift;
			if (b < 0x80) return result >>> 0;
			shift += 7;
		}
		throw new DecodeError("varint longer than 10 bytes");
	}

	/** An int32/enum field: negative values are sent as 10-byte varints, read back as signed. */
	int32(): number {
		return this.uint32() | 0;
	}

	/** A 64-bit varint (int64) exactly, as a bigint in two's complement. */
	int64(): bigint {
		let result = 0n;
		let shift = 0n;
		for (let i = 0; i < 10; i++) {
			if (this.pos >= this.end) throw new DecodeError("truncated varint");
			const b = this.buf[this.pos++]!;
			result |= BigInt(b & 0x7f) << shift;
			if (b < 0x80) return BigInt.asIntN(64, result);
			shift += 7n;
		}
		throw new DecodeError("varint longer than 10 bytes");
	}

	bool(): boolean {
		return this.uint32() !== 0;
	}

	fixed64(): bigint {
		if (this.pos + 8 > this.end) throw new DecodeError("truncated fixed64");
		const v = this.view.getBigUint64(this.pos, true);
		this.pos += 8;
		return v;
	}

	double(): number {
		if (this.pos + 8 > this.end) throw new DecodeError("truncated double");
		const v = this.view.getFloat64(this.pos, true);
		this.pos += 8;
		return v;
	}

	/**
	 * Moves past a length-delimited field and returns where its contents
	 * start; they end at `pos`. (No [start, end] pair: one array per field
	 * was a measurable part of decoding an export.)
	 */
	take(): number {
		const len = this.uint32();
		const start = this.pos;
		if (len > this.end - start) throw new DecodeError("length past the end of the message");
		this.pos = start + len;
		return start;
	}

	bytes(): Uint8Array {
		const start = this.take();
		return this.buf.subarray(start, this.pos);
	}

	/** A bytes field as lowercase hex (trace and span ids). */
	hex(): string {
		const start = this.take();
		let s = "";
		for (let i = start; i < this.pos; i++) s += HEX[this.buf[i]!];
		return s;
	}

	string(): string {
		const start = this.take();
		const end = this.pos;
		// Short ASCII (keys, methods, routes) without TextDecoder's call overhead.
		if (end - start <= 64) {
			let s = "";
			for (let i = start; i < end; i++) {
				const c = this.buf[i]!;
				if (c >= 0x80) return utf8.decode(this.buf.subarray(start, end));
				s += String.fromCharCode(c);
			}
			return s;
		}
		return utf8.decode(this.buf.subarray(start, end));
	}

	/**
	 * A string field whose value is one of `wanted` (bucketed by UTF-8
	 * length), or null without building a string for any other value: how a
	 * span's attribute keys are read, most of which the mapping never needs.
	 */
	oneOf(wanted: Map<number, [Uint8Array, string][]>): string | null {
		const start = this.take();
		const candidates = wanted.get(this.pos - start);
		if (!candidates) return null;
		next: for (const [bytes, value] of candidates) {
			for (let i = 0; i < bytes.length; i++) if (this.buf[start + i] !== bytes[i]) continue next;
			return value;
		}
		return null;
	}

	/** A reader over the embedded message that starts here. */
	message(): Reader {
		const start = this.take();
		return this.sub(start, this.pos);
	}

	skip(wire: number): void {
		switch (wire) {
			case WIRE.VARINT:
				this.uint32();
				return;
			case WIRE.I64:
				if (this.pos + 8 > this.end) throw new DecodeError("truncated fixed64");
				this.pos += 8;
				return;
			case WIRE.LEN:
				this.take();
				return;
			case WIRE.I32:
				if (this.pos + 4 > this.end) throw new DecodeError("truncated fixed32");
				this.pos += 4;
				return;
			default:
				// 3 and 4 are groups (never in OTLP), 6 and 7 do not exist.
				throw new DecodeError(`wire type ${wire}`);
		}
	}
}

/** A protobuf writer for the few small messages we answer with (answer.ts). */
export class Writer {
	private bytes: number[] = [];

	private varint(v: number): void {
		while (v > 0x7f) {
			this.bytes.push((v & 0x7f) | 0x80);
			v = Math.floor(v / 128);
		}
		this.bytes.push(v);
	}

	uint(field: number, v: number): this {
		if (v !== 0) {
			this.varint((field << 3) | WIRE.VARINT);
			this.varint(v);
		}
		return this;
	}

	string(field: number, v: string): this {
		if (v !== "") this.bytesField(field, new TextEncoder().encode(v));
		return this;
	}

	bytesField(field: number, v: Uint8Array): this {
		this.varint((field << 3) | WIRE.LEN);
		this.varint(v.byteLength);
		for (const b of v) this.bytes.push(b);
		return this;
	}

	message(field: number, inner: Writer): this {
		return this.bytesField(field, inner.finish());
	}

	finish(): Uint8Array<ArrayBuffer> {
		return new Uint8Array(this.bytes);
	}
}
