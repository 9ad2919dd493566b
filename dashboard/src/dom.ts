/**
 * A tiny element builder. Text always goes in as text nodes (never parsed as
 * HTML), so an event's endpoint or payload can never become markup: the page
 * has no innerHTML anywhere.
 */
export type Child = Node | string | number | null | undefined | false;
type Handler = (event: never) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
	const el = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs ?? {})) {
		if (value === null || value === undefined || value === false) continue;
		if (typeof value === "function") el.addEventListener(name.slice(2), value as EventListener);
		else if (name === "class") el.className = String(value);
		else el.setAttribute(name, value === true ? "" : String(value));
	}
	append(el, ...children);
	return el;
}

export function append(parent: Node, ...children: Child[]): void {
	for (const child of children) {
		if (child === null || child === undefined || child === false) continue;
		parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
	}
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
	parent.replaceChildren();
	append(parent, ...children);
}

let ids = 0;
/** A unique id for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled input: the label, the control and an optional hint, wired by ids. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
	control.id ||= uid("f");
	const wrap = h("div", { class: "field" }, h("label", { for: control.id }, label), control);
	if (hint) {
		const hintEl = h("p", { class: "hint", id: uid("hint") }, hint);
		control.setAttribute("aria-describedby", hintEl.id);
		wrap.append(hintEl);
	}
	return wrap;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with these attributes (the icons' and the logo's parts). */
function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
	const el = document.createElementNS(SVG_NS, tag);
	for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
	return el;
}

/** A decorative inline SVG (aria-hidden: what it stands beside carries the text). */
function svgImage(viewBox: string, size: number, cls: string): SVGSVGElement {
	const svg = svgEl("svg", { viewBox, width: String(size), height: String(size), "aria-hidden": "true" });
	svg.classList.add(cls);
	return svg;
}

/** A small inline SVG icon from a path (aria-hidden: buttons carry their own text). */
export function icon(d: string, size = 16): SVGSVGElement {
	const svg = svgImage("0 0 24 24", size, "icon");
	svg.setAttribute("focusable", "false");
	svg.append(svgEl("path", { d }));
	return svg;
}

export const ICONS = {
	overview: "M4 13h6V4H4v9Zm0 7h6v-5H4v5Zm10 0h6v-9h-6v9Zm0-16v5h6V4h-6Z",
	tail: "M4 6h16M4 10h16M4 14h10M4 18h7",
	alerts: "M12 3a6 6 0 0 0-6 6v3.5L4.5 15v1.5h15V15L18 12.5V9a6 6 0 0 0-6-6Zm-2 15a2 2 0 0 0 4 0",
	theme: "M12 3a9 9 0 1 0 9 9 7 7 0 0 1-9-9Z",
	signOut: "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10",
	pause: "M8 5v14M16 5v14",
	play: "M7 5l12 7-12 7V5Z",
	clear: "M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
};

/** The PulseStream mark (the favicon's drawing), inline so it costs no request. */
export function logo(size: number): SVGSVGElement {
	const svg = svgImage("0 0 32 32", size, "logo");
	svg.append(
		svgEl("rect", { width: "32", height: "32", rx: "8", fill: "#4f5bd5" }),
		svgEl("path", { d: "M5 17h5l3-7 4 13 3-8 2 2h5", fill: "none", stroke: "#fff", "stroke-width": "2.6", "stroke-linecap": "round", "stroke-linejoin": "round" }),
	);
	return svg;
}
