import { LATENCY_BOUNDS_MS } from "../../tenant/prom-totals";
import type { PromSnapshot } from "../../tenant/prom-view";

/** The text exposition format's media type (what Prometheus parses as text, not OpenMetrics). */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The bounds as Prometheus shows them (`le="0.005"`), from the exact milliseconds. */
const LE = LATENCY_BOUNDS_MS.map((ms) => String(ms / 1000));

/**
 * A label value as the exposition format wants it: backslash, double quote
 * and line feed escaped (the backslash first, so the others' escapes stay
 * single). Nothing else needs escaping inside the quotes.
 */
export function escapeLabel(value: string): string {
	return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
	const inner = Object.entries(pairs)
		.map(([k, v]) => `${k}="${escapeLabel(v)}"`)
		.join(",");
	return inner ? `{${inner}}` : "";
}

/** A sample value: integers as integers, floats in the shortest form Go's ParseFloat reads back exactly. */
const value = (n: number) => String(n);

/**
 * The tenant's figures in the text exposition format 0.0.4: every family
 * with its HELP and TYPE lines (a family without samples yet still names
 * itself), one line per sample, a final line feed. No timestamps: the
 * scrape time is the sample time, as for any live exporter.
 */
export function renderExposition(s: PromSnapshot): string {
	const out: string[] = [];
	const family = (name: string, type: "counter" | "gauge" | "histogram", help: string) => {
		out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
	};
	const sample = (name: string, l: Record<string, string>, n: number) => out.push(`${name}${labels(l)} ${value(n)}`);

	family("pulsestream_events_total", "counter", "Events accepted since the tenant was created, by event type.");
	for (const [event_type, n] of Object.entries(s.events)) sample("pulsestream_events_total", { event_type }, n);

	family(
		"pulsestream_api_calls_total",
		"counter",
		'Accepted api_call events by endpoint (the first 100 endpoints, later ones as "other"), method and status class.',
	);
	for (const c of s.calls) {
		sample("pulsestream_api_calls_total", { endpoint: c.endpoint, method: c.method, status_class: c.status_class }, c.n);
	}

	family("pulsestream_errors_total", "counter", "Accepted error events plus api_call events with a status of 500 or more.");
	sample("pulsestream_errors_total", {}, s.errors);

	const h = "pulsestream_api_call_duration_seconds";
	family(h, "histogram", "Response time of accepted api_call events that carry response_time_ms, by endpoint.");
	for (const l of s.latency) {
		let cumulative = 0;
		l.buckets.forEach((n, i) => {
			cumulative += n;
			sample(`${h}_bucket`, { endpoint: l.endpoint, le: LE[i]! }, cumulative);
		});
		sample(`${h}_bucket`, { endpoint: l.endpoint, le: "+Inf" }, l.count);
		sample(`${h}_sum`, { endpoint: l.endpoint }, l.sum_ms / 1000);
		sample(`${h}_count`, { endpoint: l.endpoint }, l.count);
	}

	family("pulsestream_events_dropped_total", "counter", "Events not stored: duplicates, rejected as invalid, rate limited.");
	for (const [reason, n] of Object.entries(s.dropped)) sample("pulsestream_events_dropped_total", { reason }, n);

	family("pulsestream_alerts_active", "gauge", "Alerts firing and not acknowledged, by severity.");
	for (const [severity, n] of Object.entries(s.alerts)) sample("pulsestream_alerts_active", { severity }, n);

	return `${out.join("\n")}\n`;
}
