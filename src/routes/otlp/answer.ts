/**
 * OTLP/HTTP answers (opentelemetry-proto, specification/otlp.md "OTLP/HTTP
 * Response"), in the request's encoding: a success is an Export*ServiceResponse
 * whose `partial_success` is set only when some records were refused; an
 * error is a google.rpc.Status. A JSON Status also carries the API's usual
 * `error` envelope (code, message, request_id), so our own clients read it
 * like any other answer.
 */
import type { Context } from "hono";
import { type ApiError, errorBody } from "../../lib/errors";
import type { AppEnv } from "../../lib/types";
import { Writer } from "./protobuf";
import type { OtlpEncoding } from "./read-body";

export type Signal = "traces" | "logs";

const CONTENT_TYPE: Record<OtlpEncoding, string> = { protobuf: "application/x-protobuf", json: "application/json" };

/** google.rpc.Code for an HTTP status, as gRPC-HTTP gateways map them. */
function rpcCode(status: number): number {
	if (status === 401) return 16; // UNAUTHENTICATED
	if (status === 403) return 7; // PERMISSION_DENIED
	if (status === 404) return 5; // NOT_FOUND
	if (status === 429) return 8; // RESOURCE_EXHAUSTED
	if (status >= 500) return 13; // INTERNAL
	return 3; // INVALID_ARGUMENT: 400, 413, 415, 422
}

export function statusAnswer(c: Context<AppEnv>, encoding: OtlpEncoding, err: ApiError): Response {
	const code = rpcCode(err.status);
	const headers = { ...err.headers, "Content-Type": CONTENT_TYPE[encoding] };
	if (encoding === "protobuf") {
		return c.body(new Writer().uint(1, code).string(2, err.message).finish(), err.status, headers);
	}
	const envelope = errorBody(err.code, err.message, c.get("requestId"), err.details);
	return c.body(JSON.stringify({ code, message: err.message, ...envelope }), err.status, headers);
}

/**
 * 200 with the export response: `rejected` spans or log records refused as
 * invalid and why (unset when none was). rejected_spans and
 * rejected_log_records are both field 1, error_message field 2.
 */
export function exportAnswer(
	c: Context<AppEnv>,
	encoding: OtlpEncoding,
	signal: Signal,
	rejected: number,
	message: string,
	headers: Record<string, string>,
): Response {
	const all = { ...headers, "Content-Type": CONTENT_TYPE[encoding] };
	if (encoding === "protobuf") {
		const out = new Writer();
		if (rejected > 0) out.message(1, new Writer().uint(1, rejected).string(2, message));
		return c.body(out.finish(), 200, all);
	}
	const field = signal === "traces" ? "rejectedSpans" : "rejectedLogRecords";
	// int64 is a decimal string in protobuf JSON.
	const body = rejected > 0 ? { partialSuccess: { [field]: String(rejected), errorMessage: message } } : {};
	return c.body(JSON.stringify(body), 200, all);
}
