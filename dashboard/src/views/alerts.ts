import { explain, get, post, query } from "../api";
import * as auth from "../auth";
import { type Child, h, replace } from "../dom";
import { DASH, ago, dateTime } from "../format";
import * as live from "../live";
import { Scope, Signal } from "../signal";
import type { Alert, AlertDetail, AlertStatus, AlertSummary } from "../types";
import type { View } from "./view";

/**
 * Alerts: the summary, the list by status with Acknowledge and Resolve, and
 * one alert's page with its timeline (the link notifications carry). Live
 * `alert` frames update the cards in place; a card whose status changes
 * stays where it is until the list is loaded again, so it never jumps away
 * from under a pointer.
 */

const TABS = [
	{ key: "open", label: "Open", statuses: ["active", "acknowledged"] as AlertStatus[] },
	{ key: "active", label: "Active", statuses: ["active"] as AlertStatus[] },
	{ key: "acknowledged", label: "Acknowledged", statuses: ["acknowledged"] as AlertStatus[] },
	{ key: "resolved", label: "Resolved", statuses: ["resolved"] as AlertStatus[] },
	{ key: "all", label: "All", statuses: [] as AlertStatus[] },
] as const;
type TabKey = (typeof TABS)[number]["key"];

const tab = new Signal<TabKey>("open");
const PAGE = 50;

const mayAct = () => {
	const role = auth.session.get()?.user.role;
	return role === "admin" || role === "owner";
};

/** An aria-live region shared by the alert pages, for what an action did. */
const announcer = () => h("p", { class: "sr-only", role: "status", "aria-live": "polite" });

function describe(a: Alert): string {
	const value = a.value === null ? "no data" : formatValue(a.metric, a.value);
	return `${a.metric} ${value} (threshold ${formatValue(a.metric, a.threshold)})`;
}

function formatValue(metric: string, v: number): string {
	if (metric === "error_rate") return `${(v * 100).toFixed(v * 100 >= 10 ? 0 : 1)}%`;
	if (metric.startsWith("latency")) return `${Math.round(v)} ms`;
	return String(Math.round(v * 100) / 100);
}

function statusPill(status: AlertStatus): HTMLElement {
	return h("span", { class: `pill status-${status}`, "data-status": status }, status);
}

function severityBadge(severity: Alert["severity"]): HTMLElement {
	return h("span", { class: `sev sev-${severity}` }, severity);
}

/** The Acknowledge and Resolve buttons for an alert, with the error line they report to. */
function actions(a: Alert, onDone: (updated: Alert, verb: string) => void, onError: (message: string) => void): HTMLElement {
	const allowed = mayAct();
	const why = allowed ? null : "Acknowledging and resolving need the admin or owner role.";
	const act = (verb: "acknowledge" | "resolve", label: string) => {
		// Only the actions the alert's status allows are offered.
		const applies = verb === "acknowledge" ? a.status === "active" : a.status !== "resolved";
		if (!applies) return null;
		const button = h(
			"button",
			{
				type: "button",
				class: verb === "acknowledge" || a.status === "acknowledged" ? "btn primary" : "btn",
				disabled: !allowed,
				title: why,
				"data-action": verb,
			},
			label,
		);
		button.addEventListener("click", async () => {
			button.disabled = true;
			button.textContent = verb === "acknowledge" ? "Acknowledging…" : "Resolving…";
			try {
				const updated = await post<Alert>(`/alerting/alerts/${encodeURIComponent(a.id)}/${verb}`);
				onDone(updated, verb === "acknowledge" ? "acknowledged" : "resolved");
			} catch (err) {
				button.disabled = false;
				button.textContent = label;
				onError(explain(err));
			}
		});
		return button;
	};
	return h("div", { class: "alert-actions" }, act("acknowledge", "Acknowledge"), act("resolve", "Resolve"));
}

function card(a: Alert, announce: (text: string) => void): HTMLElement {
	const el = h("li", { class: "alert-card", "data-alert-id": a.id, "data-status": a.status, "data-severity": a.severity });
	const draw = (alert: Alert) => {
		el.dataset.status = alert.status;
		const error = h("p", { class: "form-error", role: "alert" });
		const meta: Child[] = [
			h("span", null, describe(alert)),
			h("span", null, "triggered ", h("time", { datetime: alert.triggered_at, title: dateTime(alert.triggered_at) }, ago(alert.triggered_at))),
		];
		if (alert.acknowledged_at) meta.push(h("span", null, `acknowledged ${ago(alert.acknowledged_at)}${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ""}`));
		if (alert.resolved_at) meta.push(h("span", null, `resolved ${ago(alert.resolved_at)}`));
		replace(
			el,
			h(
				"div",
				{ class: "alert-main" },
				h("div", { class: "alert-title" }, severityBadge(alert.severity), h("a", { href: `/dashboard/alerts/${encodeURIComponent(alert.id)}`, class: "alert-name" }, alert.rule_name), statusPill(alert.status)),
				h("p", { class: "alert-meta" }, ...meta),
				labels(alert),
				error,
			),
			actions(
				alert,
				(updated, verb) => {
					draw(updated);
					announce(`Alert ${updated.rule_name} ${verb}.`);
				},
				(message) => replace(error, message),
			),
		);
	};
	draw(a);
	(el as HTMLElement & { redraw?: (a: Alert) => void }).redraw = draw;
	return el;
}

function labels(a: Alert): HTMLElement | null {
	const entries = Object.entries(a.labels ?? {});
	if (!entries.length) return null;
	return h("ul", { class: "labels", "aria-label": "Labels" }, ...entries.map(([k, v]) => h("li", null, `${k}=${v}`)));
}

function summaryChips(s: AlertSummary | null): Child[] {
	if (!s) return [];
	return [
		h("span", { class: "chip", "data-kind": "active" }, h("strong", null, s.active), " active"),
		h("span", { class: "chip", "data-kind": "acknowledged" }, h("strong", null, s.acknowledged), " acknowledged"),
		h("span", { class: "chip sev-critical-chip" }, h("strong", null, s.by_severity.critical), " critical"),
		h("span", { class: "chip sev-warning-chip" }, h("strong", null, s.by_severity.warning), " warning"),
		h("span", { class: "chip sev-info-chip" }, h("strong", null, s.by_severity.info), " info"),
	];
}

export function alertsView(): View {
	const scope = new Scope();
	const live_ = announcer();
	const announce = (text: string) => (live_.textContent = text);
	const chips = h("div", { class: "chips", "aria-label": "Alert summary" });
	const list = h("ul", { class: "alert-list", "aria-live": "off" });
	const error = h("div", { class: "banner error", role: "alert", hidden: true });
	const more = h("button", { type: "button", class: "btn ghost", hidden: true }, "Load more");
	const empty = h("div", { class: "empty-state", hidden: true });
	const tabs = h("div", { class: "segmented", role: "group", "aria-label": "Alert status" });
	const tabButtons = TABS.map((t) => h("button", { type: "button", class: "seg", "data-tab": t.key, onclick: () => tab.set(t.key) }, t.label));
	tabs.append(...tabButtons);
	const cards = new Map<string, HTMLElement & { redraw?: (a: Alert) => void }>();
	let cursor: string | null = null;

	async function loadSummary(): Promise<void> {
		try {
			replace(chips, ...summaryChips(await get<AlertSummary>("/dashboard/alerts/summary")));
		} catch {
			replace(chips);
		}
	}

	let run = 0;
	async function load(append = false): Promise<void> {
		const mine = ++run;
		const current = TABS.find((t) => t.key === tab.get())!;
		const statuses: (AlertStatus | undefined)[] = current.statuses.length ? current.statuses : [undefined];
		try {
			const pages = await Promise.all(
				statuses.map((status) => get<{ alerts: Alert[]; next_cursor: string | null }>(`/alerting/alerts${query({ status, limit: PAGE, cursor: append ? cursor : undefined })}`)),
			);
			if (mine !== run) return;
			error.hidden = true;
			const alerts = pages.flatMap((p) => p.alerts).sort((a, b) => Date.parse(b.triggered_at) - Date.parse(a.triggered_at));
			// Open merges two lists: paging it would interleave badly, so it shows the newest of each.
			cursor = statuses.length === 1 ? (pages[0]?.next_cursor ?? null) : null;
			if (!append) {
				cards.clear();
				replace(list);
			}
			for (const a of alerts) {
				if (cards.has(a.id)) continue;
				const c = card(a, announce);
				cards.set(a.id, c);
				list.append(c);
			}
			more.hidden = !cursor;
			showEmpty();
		} catch (err) {
			if (mine !== run) return;
			error.hidden = false;
			replace(error, `Could not load alerts: ${explain(err)}`);
		}
	}

	function showEmpty(): void {
		empty.hidden = cards.size > 0;
		replace(
			empty,
			h("p", { class: "empty-title" }, tab.get() === "open" ? "All clear" : "No alerts here"),
			h("p", { class: "muted" }, tab.get() === "open" ? "No alert is open. Rules raise alerts within two seconds of a breach." : "Nothing matches this status yet."),
		);
	}

	more.addEventListener("click", () => void load(true));

	scope.add(
		tab.watch((key) => {
			for (const b of tabButtons) b.setAttribute("aria-pressed", String(b.dataset.tab === key));
			void load();
		}),
	);
	let summaryTimer: ReturnType<typeof setTimeout> | undefined;
	scope.add(
		live.alertFrames.subscribe((a) => {
			if (!a?.id) return;
			const existing = cards.get(a.id);
			if (existing) existing.redraw?.(a);
			else {
				const current = TABS.find((t) => t.key === tab.get())!;
				if (current.statuses.length === 0 || current.statuses.includes(a.status)) {
					const c = card(a, announce);
					cards.set(a.id, c);
					list.prepend(c);
					showEmpty();
				}
			}
			clearTimeout(summaryTimer);
			summaryTimer = setTimeout(() => void loadSummary(), 500);
		}),
	);
	scope.add(() => clearTimeout(summaryTimer));
	scope.interval(() => document.visibilityState === "visible" && void loadSummary(), 30_000);
	void loadSummary();

	const el = h(
		"section",
		{ class: "page" },
		h("header", { class: "page-head" }, h("div", null, h("h1", null, "Alerts"), chips), tabs),
		mayAct() ? null : h("p", { class: "banner info" }, "You are signed in as a viewer: you can see alerts, and an admin or owner can acknowledge and resolve them."),
		error,
		list,
		empty,
		more,
		live_,
	);
	return { el, title: "Alerts · PulseStream", scope };
}

export function alertView(id: string): View {
	const scope = new Scope();
	const live_ = announcer();
	const body = h("div", { class: "stack" }, h("p", { class: "muted" }, "Loading…"));
	const el = h("section", { class: "page" }, h("p", null, h("a", { href: "/dashboard/alerts", class: "back" }, "← All alerts")), body, live_);

	function draw(a: AlertDetail): void {
		const error = h("p", { class: "form-error", role: "alert" });
		const facts: [string, Child][] = [
			["Status", statusPill(a.status)],
			["Severity", severityBadge(a.severity)],
			["Condition", describe(a)],
			["Triggered", dateTime(a.triggered_at)],
			["Acknowledged", a.acknowledged_at ? `${dateTime(a.acknowledged_at)}${a.acknowledged_by ? ` by ${a.acknowledged_by}` : ""}` : DASH],
			["Resolved", a.resolved_at ? dateTime(a.resolved_at) : DASH],
			["Escalation level", String(a.escalation_level)],
		];
		replace(
			body,
			h("header", { class: "page-head" }, h("div", { "data-alert-id": a.id, "data-status": a.status }, h("h1", null, a.rule_name), h("p", { class: "page-sub mono" }, a.id))),
			h(
				"div",
				{ class: "panel" },
				h("dl", { class: "facts wide" }, ...facts.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
				labels(a),
				error,
				actions(
					a,
					(_updated, verb) => {
						live_.textContent = `Alert ${verb}.`;
						void load();
					},
					(message) => replace(error, message),
				),
			),
			h(
				"section",
				{ class: "panel", "aria-label": "Timeline" },
				h("header", { class: "panel-head" }, h("h2", null, "Timeline")),
				h(
					"ol",
					{ class: "timeline" },
					...(a.timeline ?? []).map((entry) => {
						const { at, type, ...rest } = entry;
						const extra = Object.entries(rest)
							.filter(([, v]) => v !== null && v !== undefined && typeof v !== "object")
							.map(([k, v]) => `${k}: ${String(v)}`)
							.join(" · ");
						return h("li", null, h("time", { datetime: at }, dateTime(at)), h("span", { class: "tl-type" }, type.replaceAll("_", " ")), extra ? h("span", { class: "muted" }, extra) : null);
					}),
				),
			),
		);
	}

	async function load(): Promise<void> {
		try {
			draw(await get<AlertDetail>(`/alerting/alerts/${encodeURIComponent(id)}`));
		} catch (err) {
			replace(body, h("div", { class: "banner error", role: "alert" }, explain(err)));
		}
	}
	scope.add(live.alertFrames.subscribe((a) => a?.id === id && void load()));
	void load();
	return { el, title: "Alert · PulseStream", scope };
}
