import { ApiError } from "./errors";

export const MiB = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** A request "carries a body" when it declares one; a bare POST (an action) needs no Content-Type. */
export function hasBody(req: Request): boolean {
	const length = req.headers.get("content-length");
	if (length !== null) return Number(length) > 0;
	return req.headers.has("transfer-encoding") || req.body !== null && req.headers.has("content-type");
}

export function tooLarge(limit: number, what = "The body"): ApiError {
	return new ApiError({
		code: "PAYLOAD_TOO_LARGE",
		message: `${what} exceeds the limit of ${limit} bytes.`,
	});
}

/**
 * Reads a JSON body with the contract's checks in order: 415 for another
 * content type, 413 past `limit` bytes (declared or actually streamed), 400 for
 * text that is not JSON. Returns the parsed value and the raw text.
 */
export async function readJsonBody(
	req: Request,
	limit: number,
): Promise<{ value: unknown; text: string; bytes: number }> {
	const type = req.headers.get("content-type") ?? "";
	if (!JSON_TYPE.test(type)) {
		throw new ApiError({
			code: "UNSUPPORTED_MEDIA_TYPE",
			message: "Send the body as Content-Type: application/json.",
		});
	}
	const declared = req.headers.get("content-length");
	if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
	// With a declared length the runtime delivers at most that many bytes, so
	// the native reader is safe; without one, stream and stop at the limit.
	const { text, bytes } =
		declared !== null && /^\d+$/.test(declared)
			? { text: await req.text(), bytes: Number(declared) }
			: await readTextLimited(req, limit);
	try {
		return { value: JSON.parse(text), text, bytes };
	} catch {
		throw new ApiError({ code: "INVALID_JSON", message: "The body is not valid JSON." });
	}
}

/** Streams the body and stops as soon as it passes `limit`, so a lying or absent Content-Length cannot exhaust memory. */
async function readTextLimited(req: Request, limit: number): Promise<{ text: string; bytes: number }> {
	if (!req.body) return { text: "", bytes: 0 };
	const all = await readLimited(req.body, limit, () => tooLarge(limit));
	return { text: new TextDecoder().decode(all), bytes: all.byteLength };
}

/**
 * A stream's bytes, read chunk by chunk and stopped (the stream cancelled)
 * as soon as they pass `limit`: `overLimit()` is thrown then. Anything the
 * stream itself throws (a DecompressionStream fed what is not gzip) passes
 * through to the caller.
 */
export async function readLimited(stream: ReadableStream<Uint8Array>, limit: number, overLimit: () => Error): Promise<Uint8Array> {
	const reader = stream.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel().catch(() => {});
			throw overLimit();
		}
		chunks.push(value);
	}
	if (chunks.length === 1) return chunks[0]!;
	const all = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		all.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return all;
}
