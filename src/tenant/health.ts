import type { AlertSeverity } from "../alerting/types";

export type HealthStatus = "healthy" | "degraded" | "critical";
export type Health = { status: HealthStatus; reasons: string[] };

/** Error rates at or above these make the tenant degraded / critical... */
export const DEGRADED_ERROR_RATE = 0.05;
export const CRITICAL_ERROR_RATE = 0.25;
/** ...once the window holds at least this many events: two errors in three events are noise, not an outage. */
export const HEALTH_MIN_EVENTS = 20;

const percent = (r: number) => `${(r * 100).toFixed(1)}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The tenant's health over a window, with the reasons for it (empty when
 * healthy), worst first:
 * - critical: an open (active or acknowledged) critical alert, or an error
 *   rate of 25% or more;
 * - degraded: an open warning alert, or an error rate of 5% or more.
 * Acknowledging an alert says someone is on it, not that it cleared, so it
 * still counts. Info alerts are notices (a deploy, a traffic spike) and do
 * not change the status. The error rate counts only with HEALTH_MIN_EVENTS
 * events in the window.
 */
export function healthOf(open: Record<AlertSeverity, number>, errorRate: number, events: number): Health {
	const critical: string[] = [];
	const degraded: string[] = [];
	if (open.critical > 0) critical.push(`${plural(open.critical, "critical alert")} open`);
	if (open.warning > 0) degraded.push(`${plural(open.warning, "warning alert")} open`);
	if (events >= HEALTH_MIN_EVENTS) {
		const rate = `error rate ${percent(errorRate)} over the window`;
		if (errorRate >= CRITICAL_ERROR_RATE) critical.push(`${rate} (critical at ${percent(CRITICAL_ERROR_RATE)})`);
		else if (errorRate >= DEGRADED_ERROR_RATE) degraded.push(`${rate} (degraded at ${percent(DEGRADED_ERROR_RATE)})`);
	}
	const status: HealthStatus = critical.length > 0 ? "critical" : degraded.length > 0 ? "degraded" : "healthy";
	return { status, reasons: [...critical, ...degraded] };
}
