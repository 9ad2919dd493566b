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

const utf8 = new TextDecoder();

export class Reader {
	pos: number;
	// Made on first use: most messages (attributes, values) have no fixed-width field, and a
	// DataView per embedded message was a tenth of decoding a 500-span export.
	private view: DataView | null = null;

	constructor(
		readonly buf: Uint8Array,
		start = 0,
		readonly end = buf.byteLength,
	) {
		this.pos = start;
	}

	private dataView(): DataView {
		this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
		return this.view;
	}

	done(): boolean {
		return this.pos >= this.end;
	}

	/** The next field's tag as [field number, wire type]. */
	tag(): [number, number] {
		const t = this.uint32();
		const field = t >>> 3;
		if (field === 0) throw new DecodeError("field number 0");
		return [field, t & 7];
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
		const v = this.dataView().getBigUint64(this.pos, true);
		this.pos += 8;
		return v;
	}

	double(): number {
		if (this.pos + 8 > this.end) throw new DecodeError("truncated double");
		const v = this.dataView().getFloat64(this.pos, true);
		this.pos += 8;
		return v;
	}

	/** A length-delimited field's [start, end) in the buffer; the reader moves past it. */
	span(): [number, number] {
		const len = this.uint32();
		const start = this.pos;
		if (len > this.end - start) throw new DecodeError("length past the end of the message");
		this.pos = start + len;
		return [start, this.pos];
	}

	bytes(): Uint8Array {
		const [start, end] = this.span();
		return this.buf.subarray(start, end);
	}

	string(): string {
		const [start, end] = this.span();
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

	/** A reader over the embedded message that starts here. */
	message(): Reader {
		const [start, end] = this.span();
		return new Reader(this.buf, start, end);
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
				this.span();
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
