/** One event, as POST /api/v1/ingestion/events/batch takes it (see the API contract). */
export interface PulseStreamEvent {
	/** Idempotency key; the SDK assigns a UUID when absent, so a retried batch is stored once. */
	event_id?: string;
	event_type: "api_call" | "error" | "user_action" | "custom" | (string & {});
	/** ISO-8601 or epoch ms; the SDK sets the capture moment when absent. */
	timestamp?: string | number;
	source?: string;
	severity?: "debug" | "info" | "warning" | "error" | "critical";
	endpoint?: string;
	method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
	status_code?: number;
	response_time_ms?: number;
	user_id?: string;
	session_id?: string;
	payload?: Record<string, unknown>;
	tags?: Record<string, string | number | boolean>;
	[field: string]: unknown;
}

/** A field the server refused, in the shape of the contract's `error.details`. */
export interface FieldError {
	path: string;
	message: string;
}

export type ErrorReason =
	/** capture() was given something that is not an event (no event_type, not an object, not serializable). */
	| "invalid_event"
	/** One event's JSON is over 1 MiB, the server's per-event limit. */
	| "event_too_large"
	/** The queue already holds maxQueueEvents events. */
	| "queue_full"
	/** capture() after shutdown(). */
	| "shut_down"
	/** The server answered 4xx (not 429): the request will not succeed if repeated. */
	| "refused"
	/** Some items of a 200 batch answer were `rejected` (with their field errors). */
	| "rejected"
	/** 429, 5xx or network errors kept failing until maxRetryMs ran out. */
	| "retries_exhausted";

/** What onError receives: why, and which events are dropped because of it. */
export class PulseStreamError extends Error {
	override readonly name = "PulseStreamError";
	readonly reason: ErrorReason;
	/** The HTTP status of the last answer, when there was one. */
	readonly status?: number;
	/** The server's `error.code` (e.g. `UNAUTHORIZED`), when it sent one. */
	readonly code?: string;
	/** The events given up on (each with its event_id, as sent). */
	readonly events: PulseStreamEvent[];
	/** For `rejected`: each refused item's event_id and field errors. */
	readonly details?: { event_id: string; errors: FieldError[] }[];

	constructor(init: {
		reason: ErrorReason;
		message: string;
		events: PulseStreamEvent[];
		status?: number;
		code?: string;
		details?: { event_id: string; errors: FieldError[] }[];
		cause?: unknown;
	}) {
		super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
		this.reason = init.reason;
		this.events = init.events;
		if (init.status !== undefined) this.status = init.status;
		if (init.code !== undefined) this.code = init.code;
		if (init.details !== undefined) this.details = init.details;
	}
}

export interface PulseStreamOptions {
	/** An API key with the ingest scope (an ingest-only key is safe to publish in a web page). */
	apiKey: string;
	/** The deployment's base URL, e.g. `https://pulsestream.example.com` (no `/api/v1`). */
	endpoint: string;
	/** Default `source` of events that carry none (the service name). */
	source?: string;
	/** How long a captured event may wait for its batch (default 1,000 ms). */
	flushIntervalMs?: number;
	/** Events per request, 1-1,000 (default 500). */
	maxBatchEvents?: number;
	/** UTF-8 bytes of JSON per request (default 512 KiB). */
	maxBatchBytes?: number;
	/** Total time one batch may spend being retried before it is dropped (default 30,000 ms). */
	maxRetryMs?: number;
	/** Events kept in memory waiting to be sent; beyond, new events are dropped (default 10,000). */
	maxQueueEvents?: number;
	/** The fetch to use (default globalThis.fetch, looked up at each request). */
	fetch?: typeof fetch;
	/** Told about every event the SDK gives up on; never called with the API key in a message. */
	onError?: (error: PulseStreamError) => void;
}
