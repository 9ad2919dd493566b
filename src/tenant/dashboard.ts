import { ALERT_SEVERITIES, type AlertSeverity, type AlertView } from "../alerting/types";
import { type Alerts, presentAlert } from "./alerts/alerts";
import type { Counters } from "./counters";
import type { EndpointCounts } from "./endpoints";
import type { EndpointWindow } from "./endpoint-window";
import { type Health, healthOf } from "./health";
import type { Recent, RecentEvent } from "./recent";
import { BUCKET_SECONDS } from "./series";
import { quantiles } from "./sketch";
import { type WindowSummary, summaryView } from "./views";

/*
 * The dashboard's views, computed in the tenant's object from its counters
 * (counters.ts, endpoints.ts), its alerts and its ring of recent events:
 * never a scan of D1's events. A window of N minutes is the last N UTC
 * minutes, the running one included (as GET /ingestion/stats counts).
 * The object's dashboard RPC methods return these bodies; the REST routes
 * add only `window`, and the WebSocket frames carry them as they are.
 */

/** Longest window of the dashboard, in minutes (the counters keep 25 hours). */
export const MAX_WINDOW_MINUTES = 24 * 60;

/** The windows the dashboard offers (REST `window`, get_data's `window`) and their length in minutes. */
export const WINDOWS = { "5m": 5, "15m": 15, "1h": 60, "6h": 360, "24h": 1440 } as const;
export type WindowName = keyof typeof WINDOWS;
/** The recent-events ring answers at most this many (GET /dashboard/events/stream?limit). */
export const MAX_RECENT_LIMIT = 200;
/** Endpoints in the overview's top list, and events in its recent_events. */
const TOP_ENDPOINTS = 10;
const OVERVIEW_RECENT = 10;

export type TopEndpoint = { endpoint: string; count: number; error_rate: number; p95: number | null };

/** GET /dashboard/overview without `window` (the route echoes it as given). */
export type DashboardOverview = Omit<WindowSummary, "errors"> & {
	/** Up to 10 endpoints of api_calls, by count descending (then name); error_rate counts status >= 500. */
	top_endpoints: TopEndpoint[];
	/** api_calls of endpoints beyond the per-minute bounds (not counted one by one), so the endpoint counts add up. */
	other_endpoints: Omit<TopEndpoint, "endpoint">;
	/** Alerts with status `active` (acknowledged ones are not). */
	active_alerts: number;
	/** The 10 newest accepted events, newest first (search's event shape; `truncated` when cut). */
	recent_events: RecentEvent[];
	health: Health;
};

export type RecentEvents = { events: RecentEvent[] };

export type AlertsSummary = {
	active: number;
	acknowledged: number;
	/** Open (active or acknowledged) alerts by severity. */
	by_severity: Record<AlertSeverity, number>;
	/** The 10 most recently opened alerts, any status, newest first, as the alerting API shows them. */
	recent: AlertView[];
};

/** What the views read of the tenant object. */
export type DashboardModules = {
	counters: Counters;
	endpointWindow: EndpointWindow;
	recent: Recent;
	alerting: { alerts: Alerts };
};

function figures(c: EndpointCounts) {
	const [p95] = quantiles(c.l, [0.95]);
	return { count: c.n, error_rate: c.n === 0 ? 0 : c.e / c.n, p95: p95 ?? null };
}

/** Open alerts by status and severity, every key present. */
function openAlerts(alerts: Alerts) {
	const bySeverity = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
	const byStatus = { active: 0, acknowledged: 0 };
	for (const { status, severity, n } of alerts.openCounts()) {
		byStatus[status] += n;
		if (severity in bySeverity) bySeverity[severity] += n;
	}
	return { ...byStatus, bySeverity };
}

/**
 * The overview of the last `minutes` UTC minutes (the running one
 * included), from the object's counters only: never a scan of D1's events.
 */
export function overviewView(m: DashboardModules, minutes: number, now: number): DashboardOverview {
	const { errors: _errors, ...summary } = summaryView(m.counters, minutes, now);
	const current = Math.floor(now / 60_000);
	const { top, other } = m.endpointWindow.top(current - minutes + 1, current, TOP_ENDPOINTS, now);
	const open = openAlerts(m.alerting.alerts);
	return {
		...summary,
		top_endpoints: top.map((e) => ({ endpoint: e.endpoint, ...figures(e) })),
		other_endpoints: figures(other),
		active_alerts: open.active,
		recent_events: m.recent.newest(OVERVIEW_RECENT),
		health: healthOf(open.bySeverity, summary.error_rate, summary.total_events),
	};
}

/** The alert counts and the newest alerts, from the object: the one authority on alert state. */
export function alertsSummaryView(alerts: Alerts): AlertsSummary {
	const open = openAlerts(alerts);
	return {
		active: open.active,
		acknowledged: open.acknowledged,
		by_severity: open.bySeverity,
		recent: alerts.newest(10).map(presentAlert),
	};
}

/** RPC arguments are checked as the routes check them: a bad one is the caller's bug, not a clamp. */
export function checkWindow(minutes: number, bucketSeconds?: number): void {
	if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_WINDOW_MINUTES) {
		throw new RangeError(`window must be 1..${MAX_WINDOW_MINUTES} minutes, got ${minutes}`);
	}
	if (bucketSeconds === undefined) return;
	if (!(BUCKET_SECONDS as readonly number[]).includes(bucketSeconds) || bucketSeconds > minutes * 60) {
		throw new RangeError(`bucket must be one of ${BUCKET_SECONDS.join(", ")} seconds and at most the window, got ${bucketSeconds}`);
	}
}

export function checkLimit(limit: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT_LIMIT) {
		throw new RangeError(`limit must be 1..${MAX_RECENT_LIMIT}, got ${limit}`);
	}
}
