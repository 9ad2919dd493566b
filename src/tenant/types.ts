/** An event after edge validation: flat, UTC epoch ms, payload and tags already JSON text. */
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
	payload: string | null;
	tags: string | null;
};

export type ItemStatus = "accepted" | "duplicate" | "rate_limited";

export type RateLimitState = {
	limit: number;
	remaining: number;
	/** Seconds until the current UTC-minute window ends. */
	reset: number;
};

export type IngestResult =
	| { ok: false }
	| ({ ok: true; statuses: ItemStatus[] } & RateLimitState);

export type TenantSettings = {
	tenantId: string;
	slug: string;
	rateLimitPerMinute: number;
	retentionDays: number;
};

export type KeyRecord = { id: string; hash: string; revokedAt: number | null };
