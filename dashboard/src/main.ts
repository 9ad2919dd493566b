import "../styles.css";
import * as auth from "./auth";
import { h, replace } from "./dom";
import "./live";
import { type Route, navigate, route } from "./router";
import { type Shell, createShell } from "./shell";
import "./theme";
import { alertView, alertsView } from "./views/alerts";
import { overviewView } from "./views/overview";
import { resetPasswordView } from "./views/reset-password";
import { signInView } from "./views/sign-in";
import { tailView } from "./views/tail";
import type { View } from "./views/view";
import { Scope } from "./signal";

/**
 * The dashboard's entry: picks the page for the address and the session.
 * Signed out, every dashboard path shows sign-in (and keeps its address, so
 * a deep link opens once signed in); the reset page needs no session.
 */

const root = document.getElementById("app")!;
let shell: Shell | null = null;
let page: View | null = null;

function notFound(): View {
	return {
		el: h(
			"section",
			{ class: "page" },
			h("div", { class: "empty-state" }, h("p", { class: "empty-title" }, "Page not found"), h("p", null, h("a", { href: "/dashboard/" }, "Go to the overview"))),
		),
		title: "Not found · PulseStream",
		scope: new Scope(),
	};
}

function viewFor(r: Route): View {
	switch (r.name) {
		case "overview":
			return overviewView();
		case "tail":
			return tailView();
		case "alerts":
			return alertsView();
		case "alert":
			return alertView(r.id);
		default:
			return notFound();
	}
}

let lastKey = "";
function render(): void {
	const r = route.get();
	const signedIn = auth.session.get() !== null;
	const key = `${JSON.stringify(r)}|${signedIn}|${location.search}`;
	if (key === lastKey) return;
	const focusMain = lastKey !== "";
	lastKey = key;

	if (r.name === "reset" || !signedIn) {
		shell?.dispose();
		shell = null;
		page?.scope.dispose();
		page = r.name === "reset" ? resetPasswordView() : signInView();
		replace(root, page.el);
		document.title = page.title;
		return;
	}
	page?.scope.dispose();
	page = null;
	if (!shell) {
		shell = createShell();
		replace(root, shell.el);
	}
	const view = viewFor(r);
	shell.show(view, r);
	document.title = view.title;
	// After a navigation, focus moves to the new content (as a page load would put it at the top).
	if (focusMain) root.querySelector<HTMLElement>("#main")?.focus({ preventScroll: true });
}

route.subscribe(render);
auth.session.subscribe((s) => {
	// Signed in on the reset page: go to the overview.
	if (s && route.get().name === "reset") navigate("/dashboard/", { replace: true });
	else render();
});
render();
