import { z } from "@hono/zod-openapi";
import type { ZodError } from "zod";

export const ERROR_STATUS = {
	INVALID_JSON: 400,
	// An OTLP export that is not protobuf, JSON or gzip as it says (routes/otlp).
	INVALID_BODY: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	CONFLICT: 409,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	VALIDATION_ERROR: 422,
	UPGRADE_REQUIRED: 426,
	RATE_LIMITED: 429,
	ACCOUNT_LOCKED: 429,
	CONNECTION_LIMIT: 429,
	INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorDetail = { path: string; message: string };

/** The one error type of the API: whatever throws it renders the contract's envelope. */
export class ApiError extends Error {
	readonly code: ErrorCode;
	readonly details?: ErrorDetail[];
	readonly headers?: Record<string, string>;

	constructor(opts: {
		code: ErrorCode;
		message: string;
		details?: ErrorDetail[];
		headers?: Record<string, string>;
	}) {
		super(opts.message);
		this.name = "ApiError";
		this.code = opts.code;
		this.details = opts.details;
		this.headers = opts.headers;
	}

	get status(): (typeof ERROR_STATUS)[ErrorCode] {
		return ERROR_STATUS[this.code];
	}
}

/** 401 in the envelope: missing, malformed, expired, revoked or unknown credentials. */
export const unauthorized = (message = "Missing or invalid credentials.") =>
	new ApiError({ code: "UNAUTHORIZED", message });

export function errorBody(
	code: ErrorCode,
	message: string,
	requestId: string,
	details?: ErrorDetail[],
) {
	return {
		error: { code, message, ...(details?.length ? { details } : {}), request_id: requestId },
	};
}

/** `events.3.status_code` style paths, one entry per bad field. */
export function zodDetails(error: ZodError, prefix: (string | number)[] = []): ErrorDetail[] {
	return error.issues.map((issue) => ({
		path: [...prefix, ...issue.path].map(String).join(".") || "(body)",
		message: issue.message,
	}));
}

export function validationError(error: ZodError, prefix: (string | number)[] = []): ApiError {
	return new ApiError({
		code: "VALIDATION_ERROR",
		message: "The request does not match the schema.",
		details: zodDetails(error, prefix),
	});
}

export const ErrorSchema = z
	.object({
		error: z.object({
			code: z.string().openapi({ example: "VALIDATION_ERROR" }),
			message: z.string(),
			details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
			request_id: z.string(),
		}),
	})
	.openapi("Error");

const errorResponse = (description: string) => ({
	description,
	content: { "application/json": { schema: ErrorSchema } },
});

/** Every error status with the envelope, for the OpenAPI document. */
export const openApiErrors = {
	400: errorResponse("Body is not parseable JSON (INVALID_JSON), or an OTLP export that cannot be decoded (INVALID_BODY)"),
	401: errorResponse("Missing, malformed, expired, revoked or unknown credentials"),
	403: errorResponse("Authenticated, but the role or tenant does not allow it"),
	404: errorResponse("Unknown route or id, including another tenant's id"),
	409: errorResponse("A unique value (tenant slug, user email) is taken"),
	413: errorResponse("Body or one event over the size limit"),
	415: errorResponse("A JSON route called with another content type"),
	422: errorResponse("Well-formed JSON that breaks the schema"),
	426: errorResponse("Not a WebSocket upgrade (UPGRADE_REQUIRED)"),
	429: errorResponse("Rate limited; see Retry-After"),
	500: errorResponse("Internal error (never with a stack trace)"),
} as const;

type ErrorStatus = keyof typeof openApiErrors;

/**
 * The error responses a route can actually give (500 always), spread into its
 * `responses`. A route that checks a tenant's credential (it lists 401) can
 * also answer 403: the tenant may be suspended by an operator.
 */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Pick<typeof openApiErrors, S | 500> {
	const picked = {} as Record<ErrorStatus, (typeof openApiErrors)[ErrorStatus]>;
	const all: ErrorStatus[] = [...statuses, ...(statuses.includes(401 as S) ? [403 as const] : []), 500];
	for (const status of all.sort()) picked[status] = openApiErrors[status];
	return picked as Pick<typeof openApiErrors, S | 500>;
}
