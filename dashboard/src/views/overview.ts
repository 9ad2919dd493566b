import { ApiError, get, query } from "../api";
import * as auth from "../auth";
import { type ChartKind, TimeChart } from "../charts";
import { type Child, h, replace } from "../dom";
import { DASH, count, ms, percent } from "../format";
import * as live from "../live";
import { Scope, Signal } from "../signal";
import { theme } from "../theme";
import { type AlertSummary, type Overview, type Series, WINDOWS, type Window } from "../types";
import type { View } from "./view";

/**
 * The tenant at a glance: stat tiles and top endpoints from
 * /dashboard/overview, and the event rate, error rate and latency charts from
 * /dashboard/metrics/real-time, for a chosen window. Both are fetched again
 * on the socket's `metrics` frames (at most every few seconds) and every
 * 15 s as a fallback when no frames come.
 */

const WINDOW_KEY = "pulsestream.window";
/** Bucket seconds per window (the API takes 60, 300, 900 or 3600): 5 to 96 points per chart. */
const BUCKET: Record<Window, number> = { "5m": 60, "15m": 60, "1h": 60, "6h": 300, "24h": 900 };
const REFRESH_MS = 15_000;
const MIN_GAP_MS = 3_000;

export const windowChoice = new Signal<Window>(
	(WINDOWS as readonly string[]).includes(localStorage.getItem(WINDOW_KEY) ?? "") ? (localStorage.getItem(WINDOW_KEY) as Window) : "1h",
);

/** Buckets the server refused (an older server may take fewer sizes): fall back to its default. */
const refusedBucket = new Set<Window>();

function tile(label: string, id: string): { el: HTMLElement; set: (value: string, sub?: Child, tone?: string) => void } {
	const value = h("p", { class: "tile-value", id }, DASH);
	const sub = h("p", { class: "tile-sub" });
	const el = h("div", { class: "tile", role: "group", "aria-labelledby": `${id}-label` }, h("p", { class: "tile-label", id: `${id}-label` }, label), value, sub);
	return {
		el,
		set(v, s, tone) {
			value.textContent = v;
			replace(sub, s ?? "");
			el.dataset.tone = tone ?? "";
		},
	};
}

function panel(title: string, body: HTMLElement, extra?: Child): HTMLElement {
	return h("section", { class: "panel", "aria-label": title }, h("header", { class: "panel-head" }, h("h2", null, title), extra), body);
}

export function overviewView(): View {
	const scope = new Scope();
	const updated = h("span", { class: "muted" }, "");
	const health = h("p", { class: "health", role: "status", hidden: true });
	const error = h("div", { class: "banner error", role: "alert", hidden: true });

	const picker = h("div", { class: "segmented", role: "group", "aria-label": "Time window" });
	const buttons = WINDOWS.map((w) =>
		h("button", { type: "button", class: "seg", "data-window": w, onclick: () => windowChoice.set(w) }, w),
	);
	picker.append(...buttons);

	const tiles = {
		events: tile("Events", "tile-events"),
		errors: tile("Error rate", "tile-error-rate"),
		p50: tile("Latency p50", "tile-p50"),
		p95: tile("Latency p95", "tile-p95"),
		p99: tile("Latency p99", "tile-p99"),
		alerts: tile("Active alerts", "tile-alerts"),
	};

	const chartEls: Record<ChartKind, HTMLElement> = {
		rate: h("div", { class: "chart", role: "figure", "aria-label": "Event rate chart" }),
		errors: h("div", { class: "chart", role: "figure", "aria-label": "Error rate chart" }),
		latency: h("div", { class: "chart", role: "figure", "aria-label": "Latency chart" }),
	};
	const charts = Object.fromEntries(Object.entries(chartEls).map(([k, el]) => [k, new TimeChart(el, k as ChartKind)])) as Record<ChartKind, TimeChart>;
	scope.add(() => Object.values(charts).forEach((c) => c.destroy()));
	scope.add(theme.subscribe(() => Object.values(charts).forEach((c) => c.retheme())));

	const endpoints = h("tbody");
	const endpointsTable = h(
		"div",
		{ class: "table-wrap" },
		h(
			"table",
			{ class: "table" },
			h("caption", { class: "sr-only" }, "Busiest endpoints in the window"),
			h(
				"thead",
				null,
				h("tr", null, h("th", { scope: "col" }, "Endpoint"), h("th", { scope: "col", class: "num" }, "Requests"), h("th", { scope: "col", class: "num" }, "Error rate"), h("th", { scope: "col", class: "num" }, "p95")),
			),
			endpoints,
		),
	);

	const statusBar = h("div", { class: "status-bar", "aria-hidden": "true" });
	const statusList = h("ul", { class: "status-legend" });
	const statusBody = h("div", { class: "status-classes" }, statusBar, statusList);

	const el = h(
		"section",
		{ class: "page" },
		h(
			"header",
			{ class: "page-head" },
			h("div", null, h("h1", null, "Overview"), h("p", { class: "page-sub" }, h("span", { class: "tenant-name" }, auth.session.get()?.tenant?.name ?? ""), " ", updated)),
			picker,
		),
		health,
		error,
		h("div", { class: "tiles" }, ...Object.values(tiles).map((t) => t.el)),
		h(
			"div",
			{ class: "grid charts" },
			h("div", { class: "span-2" }, panel("Event rate", chartEls.rate, h("span", { class: "muted small" }, "events and errors per minute"))),
			panel("Error rate", chartEls.errors, h("span", { class: "muted small" }, "share of events that failed")),
			panel("Latency", chartEls.latency, h("span", { class: "muted small" }, "api_call p50 / p95 / p99")),
		),
		h("div", { class: "grid two" }, panel("Top endpoints", endpointsTable), panel("Status classes", statusBody)),
	);

	function showOverview(o: Overview): void {
		const w = windowChoice.get();
		if (o.health) {
			health.hidden = false;
			health.dataset.status = o.health.status;
			const label = { healthy: "Healthy", degraded: "Degraded", critical: "Critical" }[o.health.status] ?? o.health.status;
			replace(health, h("span", { class: "health-dot", "aria-hidden": "true" }), h("strong", null, label), o.health.reasons.length ? h("span", { class: "muted" }, o.health.reasons.join(" · ")) : h("span", { class: "muted" }, "No open alerts, error rate normal"));
		}
		tiles.events.set(count(o.total_events), `in the last ${w}`);
		const rate = o.error_rate;
		tiles.errors.set(percent(rate), o.by_type?.error !== undefined ? `${count(o.by_type.error)} error events` : "of all events", rate >= 0.05 ? "bad" : rate >= 0.01 ? "warn" : "");
		tiles.p50.set(ms(o.latency_ms?.p50), o.latency_ms?.avg !== null && o.latency_ms?.avg !== undefined ? `avg ${ms(o.latency_ms.avg)}` : "api calls");
		tiles.p95.set(ms(o.latency_ms?.p95), "95th percentile");
		tiles.p99.set(ms(o.latency_ms?.p99), "99th percentile");
		if (typeof o.active_alerts === "number") {
			tiles.alerts.set(count(o.active_alerts), h("a", { href: "/dashboard/alerts" }, "View alerts"), o.active_alerts > 0 ? "bad" : "");
		}
		replace(
			endpoints,
			...(o.top_endpoints?.length
				? o.top_endpoints.map((e) =>
						h(
							"tr",
							null,
							h("td", { class: "mono ellipsis" }, h("a", { href: `/dashboard/events${query({ endpoint: e.endpoint })}`, title: `Tail ${e.endpoint}` }, e.endpoint)),
							h("td", { class: "num" }, count(e.count)),
							h("td", { class: `num ${e.error_rate >= 0.05 ? "text-bad" : ""}` }, percent(e.error_rate)),
							h("td", { class: "num" }, ms(e.p95)),
						),
					)
				: [h("tr", null, h("td", { colspan: 4, class: "empty" }, "No API calls in this window yet."))]),
		);
		const classes = ["2xx", "3xx", "4xx", "5xx"] as const;
		const total = classes.reduce((n, c) => n + (o.status_classes?.[c] ?? 0), 0);
		replace(
			statusBar,
			...classes.map((c) => {
				const seg = h("span", { class: `seg-${c}` });
				seg.style.flexGrow = String(o.status_classes?.[c] ?? 0);
				return seg;
			}),
		);
		statusBar.classList.toggle("empty", total === 0);
		replace(
			statusList,
			...classes.map((c) =>
				h(
					"li",
					null,
					h("span", { class: `dot seg-${c}`, "aria-hidden": "true" }),
					h("span", { class: "status-name" }, c),
					h("span", { class: "num" }, count(o.status_classes?.[c] ?? 0)),
					h("span", { class: "muted num" }, total ? percent((o.status_classes?.[c] ?? 0) / total) : DASH),
				),
			),
		);
	}

	let loadedAt = 0;
	let pending: ReturnType<typeof setTimeout> | undefined;
	let run = 0;
	async function load(): Promise<void> {
		clearTimeout(pending);
		const mine = ++run;
		loadedAt = Date.now();
		const w = windowChoice.get();
		const seriesPath = refusedBucket.has(w) ? `/dashboard/metrics/real-time?window=${w}` : `/dashboard/metrics/real-time?window=${w}&bucket=${BUCKET[w]}`;
		const [overview, series, summary] = await Promise.allSettled([
			get<Overview>(`/dashboard/overview?window=${w}`),
			get<Series>(seriesPath).catch((err) => {
				if (err instanceof ApiError && err.status === 422 && !refusedBucket.has(w)) {
					refusedBucket.add(w);
					return get<Series>(`/dashboard/metrics/real-time?window=${w}`);
				}
				throw err;
			}),
			get<AlertSummary>("/dashboard/alerts/summary"),
		]);
		if (mine !== run) return;
		const failed = [overview, series].find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
		error.hidden = !failed;
		if (failed) replace(error, `Could not load the overview: ${(failed.reason as Error).message}`);
		if (overview.status === "fulfilled") showOverview(overview.value);
		if (series.status === "fulfilled") for (const chart of Object.values(charts)) chart.setData(series.value);
		if (summary.status === "fulfilled") {
			tiles.alerts.set(
				count(summary.value.active),
				h("a", { href: "/dashboard/alerts" }, `${count(summary.value.acknowledged)} acknowledged`),
				summary.value.active > 0 ? "bad" : "",
			);
		}
		updated.textContent = `· updated ${new Date().toLocaleTimeString()}`;
	}

	/** At most one load every few seconds, however many frames arrive. */
	function soon(): void {
		const wait = MIN_GAP_MS - (Date.now() - loadedAt);
		clearTimeout(pending);
		pending = setTimeout(() => void load(), Math.max(0, wait));
	}

	scope.add(
		windowChoice.watch((w) => {
			localStorage.setItem(WINDOW_KEY, w);
			for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.window === w));
			void load();
		}),
	);
	// A metrics frame is the 5m overview: shown as it comes when that is the window; the rest is fetched.
	scope.add(
		live.metrics.subscribe((m) => {
			if (m && m.window === windowChoice.get() && typeof m.total_events === "number") showOverview(m as unknown as Overview);
			soon();
		}),
	);
	scope.add(live.alertFrames.subscribe(() => soon()));
	scope.add(auth.session.subscribe((s) => {
		const name = el.querySelector(".tenant-name");
		if (name) name.textContent = s?.tenant?.name ?? "";
	}));
	scope.interval(() => {
		if (document.visibilityState === "visible" && Date.now() - loadedAt >= REFRESH_MS - 100) void load();
	}, REFRESH_MS);
	scope.add(() => clearTimeout(pending));

	return { el, title: "Overview · PulseStream", scope };
}
