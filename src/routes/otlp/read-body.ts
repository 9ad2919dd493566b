import { MiB, readLimited, tooLarge } from "../../lib/body";
import { ApiError } from "../../lib/errors";

/** Past this many bytes after decompression an export is 413 (API.md, Standard clients). */
export const OTLP_LIMIT = 5 * MiB;

export type OtlpEncoding = "protobuf" | "json";

/** The encoding a Content-Type names, or null for any other type (415). */
export function encodingOf(contentType: string | undefined): OtlpEncoding | null {
	const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
	if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
	if (type === "application/json") return "json";
	return null;
}

export const undecodable = (message: string) => new ApiError({ code: "INVALID_BODY", message });

/**
 * The export's bytes, checked in the contract's order: 415 for another
 * content type or content encoding, 413 past the limit. The limit holds
 * while reading and, for `Content-Encoding: gzip`, while decompressing
 * (DecompressionStream), so neither a lying Content-Length nor a gzip bomb
 * can hold more than the limit in memory; a stream that is not gzip is 400.
 */
export async function readOtlpBody(req: Request, limit = OTLP_LIMIT): Promise<{ encoding: OtlpEncoding; bytes: Uint8Array }> {
	const encoding = encodingOf(req.headers.get("content-type") ?? undefined);
	if (!encoding) {
		throw new ApiError({
			code: "UNSUPPORTED_MEDIA_TYPE",
			message: "Send the export as Content-Type: application/x-protobuf or application/json.",
		});
	}
	const contentEncoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
	const gzip = contentEncoding === "gzip" || contentEncoding === "x-gzip";
	if (!gzip && contentEncoding !== "identity" && contentEncoding !== "") {
		throw new ApiError({
			code: "UNSUPPORTED_MEDIA_TYPE",
			message: "Content-Encoding must be gzip or absent.",
		});
	}
	const declared = Number(req.headers.get("content-length") ?? Number.NaN);
	if (declared > limit) throw tooLarge(limit);
	if (!req.body) return { encoding, bytes: new Uint8Array(0) };
	// With a declared length the runtime delivers at most that many bytes, so its own
	// reader is safe (and cheaper than a loop over chunks); otherwise count while reading.
	if (!gzip && Number.isInteger(declared)) return { encoding, bytes: new Uint8Array(await req.arrayBuffer()) };
	const stream = gzip ? req.body.pipeThrough(new DecompressionStream("gzip")) : req.body;
	const tooMuch = () => tooLarge(limit, gzip ? "The body after decompression" : "The body");
	try {
		return { encoding, bytes: await readLimited(stream, limit, tooMuch) };
	} catch (err) {
		if (err instanceof ApiError) throw err;
		throw gzip ? undecodable("The body is not valid gzip.") : undecodable("The body could not be read.");
	}
}
