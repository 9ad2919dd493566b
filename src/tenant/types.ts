import type { Scope } from "../lib/scopes";

/** An event after edge validation: flat, times in UTC epoch ms, unknown fields gone. */
export type NormalizedEvent = {
	event_id: string;
	event_type: "api_call" | "error" | "user_action" | "custom";
	timestamp: number;
	received_at: number;
	source: string | null;
	severity: "debug" | "info" | "warning" | "error" | "critical";
	endpoint: string | null;
	method: string | null;
	status_code: number | null;
	response_time_ms: number | null;
	user_id: string | null;
	session_id: string | null;
	payload: Record<string, unknown> | null;
	tags: Record<string, string | number | boolean> | null;
};

/**
 * What the edge hands the tenant object for one valid event: the few fields
 * the object decides and counts with (alert rules filter on source,
 * endpoint and method), and the event already serialized as a
 * row (event-row.ts), so the object never re-serializes what it buffers.
 */
export type IncomingEvent = Pick<
	NormalizedEvent,
	"event_id" | "event_type" | "status_code" | "response_time_ms" | "source" | "endpoint" | "method"
> & {
	row: string;
};

export type ItemStatus = "accepted" | "duplicate" | "rate_limited";

export type RateLimitState = {
	limit: number;
	remaining: number;
	/** Seconds until the current UTC-minute window ends. */
	reset: number;
};

export type IngestResult =
	// unknown: not an active key of this tenant (401); out_of_scope: a key without `ingest` (403);
	// suspended: a good key of a suspended tenant (403).
	| { ok: false; reason: "unknown" | "out_of_scope" | "suspended" }
	| ({ ok: true; statuses: ItemStatus[] } & RateLimitState);

export type TenantSettings = {
	tenantId: string;
	slug: string;
	rateLimitPerMinute: number;
	retentionDays: number;
	/** tenants.settings_version in D1: a configure() older than what the object holds is ignored. */
	version: number;
	/**
	 * Set by an operator: the object refuses the tenant's keys with a 403 and its
	 * alerting sleeps, without any D1 query. Absent in copies saved before suspension existed.
	 */
	suspended?: boolean;
};

/** What the object says of a key: one of the tenant's active keys (with its scopes), not one, or good but the tenant is suspended. */
export type KeyAuth = { scopes: Scope[] } | "unknown" | "suspended";

/** A key as the object holds it; `scopes` never change after creation. */
export type KeyRecord = { id: string; hash: string; revokedAt: number | null; scopes: Scope[] };
