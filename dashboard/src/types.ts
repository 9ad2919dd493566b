/** The API shapes the dashboard reads (API.md); fields it does not use are left out. */

export type Role = "viewer" | "admin" | "owner";

export type User = {
	id: string;
	tenant_id: string;
	email: string;
	full_name: string | null;
	role: Role;
};

export type Tenant = { id: string; name: string; slug: string };

export type TokenPair = {
	access_token: string;
	refresh_token: string;
	token_type: string;
	expires_in: number;
};

export type LoggedIn = TokenPair & { user: User };

export type LiveEvent = {
	event_id: string;
	event_type: string;
	timestamp: string | null;
	received_at: string | null;
	source: string | null;
	severity: string | null;
	endpoint: string | null;
	method: string | null;
	status_code: number | null;
	response_time_ms: number | null;
	user_id: string | null;
	session_id: string | null;
	payload: unknown;
	tags: Record<string, unknown> | null;
	truncated?: boolean;
};

export const WINDOWS = ["5m", "15m", "1h", "6h", "24h"] as const;
export type Window = (typeof WINDOWS)[number];

export type TopEndpoint = { endpoint: string; count: number; error_rate: number; p95: number | null };

export type Overview = {
	window: string;
	total_events: number;
	by_type?: Record<string, number>;
	error_rate: number;
	latency_ms: { avg: number | null; p50: number | null; p95: number | null; p99: number | null };
	status_classes: Record<string, number>;
	top_endpoints: TopEndpoint[];
	active_alerts?: number;
	health?: { status: "healthy" | "degraded" | "critical"; reasons: string[] };
};

export type SeriesPoint = {
	t: string | number;
	count: number;
	errors: number;
	error_rate: number | null;
	p50: number | null;
	p95: number | null;
	p99: number | null;
};

export type Series = { window: string; bucket_seconds: number; series: SeriesPoint[] };

export const ALERT_STATUSES = ["active", "acknowledged", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export type Alert = {
	id: string;
	rule_id: string;
	rule_name: string;
	severity: "info" | "warning" | "critical";
	status: AlertStatus;
	metric: string;
	value: number | null;
	threshold: number;
	labels?: Record<string, string>;
	triggered_at: string;
	acknowledged_at: string | null;
	acknowledged_by: string | null;
	resolved_at: string | null;
	escalation_level: number;
};

export type AlertDetail = Alert & {
	timeline: ({ at: string; type: string } & Record<string, unknown>)[];
};

export type AlertSummary = {
	active: number;
	acknowledged: number;
	by_severity: { info: number; warning: number; critical: number };
	recent?: Alert[];
};

export type TailFilter = {
	event_type?: string;
	source?: string;
	endpoint?: string;
	status_class?: string;
};
