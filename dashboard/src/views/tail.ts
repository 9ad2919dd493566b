import { field, h, icon, ICONS, replace } from "../dom";
import { DASH, clock, dateTime, ms, statusClass } from "../format";
import * as live from "../live";
import { Scope } from "../signal";
import type { LiveEvent, TailFilter } from "../types";
import type { View } from "./view";

/**
 * The live event tail: the socket's `events` frames, newest on top, at most
 * live.MAX_EVENTS rows in the page. The filters are the subscription's
 * filter (the server sends only matching events) and live in the address
 * (?event_type=…&source=…), so a filtered tail is a link.
 */

const FILTER_KEYS = ["event_type", "source", "endpoint", "status_class"] as const;
const EVENT_TYPES = ["api_call", "error", "user_action", "custom"];
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"];

function select(name: string, options: string[], anyLabel: string): HTMLSelectElement {
	return h("select", { name }, h("option", { value: "" }, anyLabel), ...options.map((o) => h("option", { value: o }, o)));
}

function fromAddress(): TailFilter | null {
	const q = new URLSearchParams(location.search);
	if (!FILTER_KEYS.some((k) => q.has(k))) return null;
	return Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k) ?? undefined]).filter(([, v]) => v)) as TailFilter;
}

function row(e: LiveEvent): HTMLTableRowElement[] {
	const cls = statusClass(e.status_code);
	const toggle = h("button", { type: "button", class: "row-toggle", "aria-expanded": "false", title: "Show payload and tags" }, clock(e.timestamp ?? e.received_at));
	const tr = h(
		"tr",
		{ class: "event-row", "data-event-id": e.event_id, "data-type": e.event_type },
		h("td", { class: "mono nowrap" }, toggle),
		h("td", null, h("span", { class: `type type-${e.event_type}` }, e.event_type)),
		h("td", null, e.severity ? h("span", { class: `sev sev-${e.severity}` }, e.severity) : DASH),
		h("td", { class: "mono" }, e.method ?? DASH),
		h("td", { class: "mono ellipsis", title: e.endpoint ?? "" }, e.endpoint ?? DASH),
		h("td", { class: "num" }, e.status_code !== null ? h("span", { class: `code code-${cls}` }, e.status_code) : DASH),
		h("td", { class: "num nowrap" }, ms(e.response_time_ms)),
		h("td", { class: "ellipsis", title: e.source ?? "" }, e.source ?? DASH),
	);
	const detail = h("tr", { class: "event-detail", hidden: true });
	toggle.addEventListener("click", () => {
		const open = toggle.getAttribute("aria-expanded") !== "true";
		toggle.setAttribute("aria-expanded", String(open));
		if (open && !detail.firstChild) {
			const facts: [string, string][] = [
				["event_id", e.event_id],
				["timestamp", dateTime(e.timestamp)],
				["received", dateTime(e.received_at)],
				["user_id", e.user_id ?? DASH],
				["session_id", e.session_id ?? DASH],
			];
			detail.append(
				h(
					"td",
					{ colspan: 8 },
					h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", null, k), h("dd", { class: "mono" }, v)])),
					e.truncated ? h("p", { class: "muted small" }, "This event is large: payload and tags are left out of the live view. Search returns the whole event.") : null,
					h("pre", { class: "json" }, JSON.stringify({ payload: e.payload ?? null, tags: e.tags ?? null }, null, 2)),
				),
			);
		}
		detail.hidden = !open;
	});
	return [tr, detail];
}

export function tailView(): View {
	const scope = new Scope();
	const initial = fromAddress() ?? live.filter.get();
	if (fromAddress()) live.setFilter(initial);

	const eventType = select("event_type", EVENT_TYPES, "Any type");
	const statusCls = select("status_class", STATUS_CLASSES, "Any status");
	const source = h("input", { name: "source", type: "search", placeholder: "checkout", autocomplete: "off", spellcheck: "false", maxlength: 128 });
	const endpoint = h("input", { name: "endpoint", type: "search", placeholder: "/v1/orders/{id}", autocomplete: "off", spellcheck: "false", maxlength: 512 });
	eventType.value = initial.event_type ?? "";
	statusCls.value = initial.status_class ?? "";
	source.value = initial.source ?? "";
	endpoint.value = initial.endpoint ?? "";

	const form = h(
		"form",
		{ class: "filters", role: "search", "aria-label": "Filter the live tail" },
		field("Event type", eventType),
		field("Source", source),
		field("Endpoint", endpoint),
		field("Status class", statusCls),
		h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "btn" }, "Apply"), h("button", { type: "reset", class: "btn ghost" }, "Reset")),
	);
	/** The address names the filter in force, so the page can be shared or bookmarked as it is. */
	function showInAddress(): void {
		const q = new URLSearchParams(live.filter.get() as Record<string, string>).toString();
		history.replaceState(null, "", `/dashboard/events${q ? `?${q}` : ""}`);
	}
	function apply(): void {
		live.setFilter({ event_type: eventType.value, source: source.value, endpoint: endpoint.value, status_class: statusCls.value });
		showInAddress();
	}
	showInAddress();
	// On a phone the filters fold away (open when one is set); on a laptop they stay open.
	const filterSummary = h("summary", null, "Filters");
	const filterBox = h("details", { class: "filter-box", open: window.matchMedia("(min-width: 761px)").matches || Object.keys(initial).length > 0 }, filterSummary, form);
	scope.add(
		live.filter.watch((f) => {
			const n = Object.keys(f).length;
			filterSummary.textContent = n ? `Filters (${n} active)` : "Filters";
		}),
	);
	let typing: ReturnType<typeof setTimeout> | undefined;
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		apply();
	});
	form.addEventListener("change", () => apply());
	form.addEventListener("input", (e) => {
		if ((e.target as HTMLElement).tagName !== "INPUT") return;
		clearTimeout(typing);
		typing = setTimeout(apply, 500);
	});
	form.addEventListener("reset", () => setTimeout(apply));
	scope.add(() => clearTimeout(typing));

	const tbody = h("tbody");
	const empty = h("div", { class: "empty-state" });
	const counter = h("span", { class: "muted", "aria-live": "off" });
	const droppedNote = h("p", { class: "banner warn", role: "status", hidden: true });
	let paused = false;
	let missed = 0;
	const pause = h("button", { type: "button", class: "btn", "aria-pressed": "false" });
	const clear = h("button", { type: "button", class: "btn ghost" }, icon(ICONS.clear), "Clear");
	function showPause(): void {
		replace(pause, icon(paused ? ICONS.play : ICONS.pause), paused ? (missed ? `Resume (${missed} new)` : "Resume") : "Pause");
		pause.setAttribute("aria-pressed", String(paused));
	}
	pause.addEventListener("click", () => {
		paused = !paused;
		missed = 0;
		showPause();
		if (!paused) renderAll();
	});
	clear.addEventListener("click", () => live.events.clear());
	showPause();

	let rows = 0;
	function renderCount(): void {
		counter.textContent = `${rows} event${rows === 1 ? "" : "s"} shown (newest first, up to ${live.MAX_EVENTS})`;
		empty.hidden = rows > 0;
		const f = live.filter.get();
		replace(
			empty,
			h("p", { class: "empty-title" }, Object.keys(f).length ? "No matching events yet" : "Waiting for events…"),
			h("p", { class: "muted" }, "New events appear here within a second of being accepted. Send one with your API key:"),
			h("pre", { class: "snippet" }, `curl -s ${location.origin}/api/v1/ingestion/events \\\n  -H 'Content-Type: application/json' -H 'X-API-Key: <key>' \\\n  -d '{"event_type":"api_call","endpoint":"/v1/orders","method":"GET","status_code":200,"response_time_ms":12.5}'`),
		);
	}
	function renderAll(): void {
		replace(tbody, ...live.events.items.flatMap(row));
		rows = live.events.items.length;
		renderCount();
	}
	function prepend(added: LiveEvent[]): void {
		const frag = document.createDocumentFragment();
		for (const e of added) for (const tr of row(e)) frag.append(tr);
		for (const tr of frag.querySelectorAll("tr.event-row")) tr.classList.add("fresh");
		tbody.prepend(frag);
		rows += added.length;
		// Keep the page bounded: the oldest rows (and their detail rows) go.
		while (rows > live.MAX_EVENTS && tbody.lastElementChild) {
			tbody.lastElementChild.remove(); // detail
			tbody.lastElementChild?.remove(); // row
			rows--;
		}
		renderCount();
	}
	scope.add(
		live.events.subscribe((change) => {
			if (paused) {
				if ("added" in change) missed += change.added.length;
				showPause();
				return;
			}
			if ("reset" in change) renderAll();
			else prepend(change.added);
		}),
	);
	scope.add(
		live.dropped.watch((n) => {
			droppedNote.hidden = n === 0;
			droppedNote.textContent = `${n} event${n === 1 ? " was" : "s were"} skipped by the live view: they arrived faster than it carries. Search has every event; a narrower filter shows more of them live.`;
		}),
	);
	renderAll();

	const el = h(
		"section",
		{ class: "page" },
		h("header", { class: "page-head" }, h("div", null, h("h1", null, "Live tail"), h("p", { class: "page-sub" }, counter)), h("div", { class: "actions" }, pause, clear)),
		filterBox,
		droppedNote,
		h(
			"div",
			{ class: "panel flush" },
			h(
				"div",
				{ class: "table-wrap" },
				h(
					"table",
					{ class: "table events", "aria-describedby": "tail-caption" },
					h("caption", { class: "sr-only", id: "tail-caption" }, "Live events, newest first"),
					h(
						"thead",
						null,
						h(
							"tr",
							null,
							...["Time", "Type", "Severity", "Method", "Endpoint", "Status", "Latency", "Source"].map((c) =>
								h("th", { scope: "col", class: c === "Status" || c === "Latency" ? "num" : "" }, c),
							),
						),
					),
					tbody,
				),
			),
			empty,
		),
	);
	return { el, title: "Live tail · PulseStream", scope };
}
