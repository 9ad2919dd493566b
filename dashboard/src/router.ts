import { Signal } from "./signal";

/** The dashboard's own paths (the Worker serves the same page for all of them). */
export type Route =
	| { name: "overview" }
	| { name: "tail" }
	| { name: "alerts" }
	| { name: "alert"; id: string }
	| { name: "reset" }
	| { name: "not-found" };

export const BASE = "/dashboard";

export function parse(pathname: string): Route {
	const rest = pathname.replace(/^\/dashboard\/?/, "").replace(/\/+$/, "");
	if (rest === "") return { name: "overview" };
	if (rest === "events") return { name: "tail" };
	if (rest === "alerts") return { name: "alerts" };
	if (rest === "reset-password") return { name: "reset" };
	const alert = /^alerts\/([^/]+)$/.exec(rest);
	if (alert) return { name: "alert", id: decodeURIComponent(alert[1]!) };
	return { name: "not-found" };
}

export const route = new Signal<Route>(parse(location.pathname));

/** Goes to a dashboard path without reloading the page. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
	const url = new URL(href, location.href);
	if (opts.replace) history.replaceState(null, "", url);
	else history.pushState(null, "", url);
	route.set(parse(url.pathname));
}

window.addEventListener("popstate", () => route.set(parse(location.pathname)));

// Same-page links: plain <a href="/dashboard/…"> elements, so they stay real
// links (open in a new tab, copy link) and only a plain click is intercepted.
document.addEventListener("click", (e) => {
	if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
	const a = (e.target as Element | null)?.closest?.("a");
	if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
	if (a.pathname !== BASE && !a.pathname.startsWith(`${BASE}/`)) return;
	e.preventDefault();
	if (a.href !== location.href) navigate(a.href);
});
