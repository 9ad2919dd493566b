import { ALERT_SEVERITIES, type AlertSeverity } from "../alerting/types";
import type { EVENT_TYPES } from "../db/schema";
import type { Alerts } from "./alerts/alerts";
import { type Counters, byType } from "./counters";
import type { PromTotals, PromTotalsSnapshot } from "./prom-totals";

/** What GET /api/v1/metrics renders (routes/metrics/exposition.ts): plain data from the tenant's object. */
export type PromSnapshot = PromTotalsSnapshot & {
	/** Accepted events by type, every type present: the lifetime totals of GET /ingestion/stats. */
	events: Record<(typeof EVENT_TYPES)[number], number>;
	dropped: { duplicate: number; rejected: number; rate_limited: number };
	/** Alerts with status `active` (not acknowledged, not resolved), every severity present. */
	alerts: Record<AlertSeverity, number>;
};

export const EMPTY_PROM: PromSnapshot = {
	events: byType({}),
	dropped: { duplicate: 0, rejected: 0, rate_limited: 0 },
	errors: 0,
	calls: [],
	latency: [],
	alerts: Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>,
};

/**
 * Events and drops come from the counters' lifetime totals, written in the
 * same transaction that accepts (or refuses) them, so they agree with
 * GET /ingestion/stats at once; the api_call figures come from PromTotals,
 * counted as events leave the outbox (about FLUSH_DELAY_MS later).
 */
export function promView(m: { counters: Counters; prom: PromTotals; alerting: { alerts: Alerts } }): PromSnapshot {
	const totals = m.counters.getTotals();
	const alerts = { ...EMPTY_PROM.alerts };
	for (const { status, severity, n } of m.alerting.alerts.openCounts()) {
		// Acknowledged alerts are someone's work already, as in the dashboard's active_alerts.
		if (status === "active" && severity in alerts) alerts[severity] += n;
	}
	return {
		events: byType(totals.t),
		dropped: { duplicate: totals.d, rejected: totals.r, rate_limited: totals.rl },
		...m.prom.read(),
		alerts,
	};
}
