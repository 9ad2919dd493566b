import * as auth from "./auth";
import { get, post } from "./api";
import { h, icon, ICONS, logo, replace } from "./dom";
import * as live from "./live";
import { type Route } from "./router";
import { Scope } from "./signal";
import type { ConnectionState } from "./socket";
import { toggleTheme } from "./theme";
import type { View } from "./views/view";

/**
 * The signed-in frame: top bar (tenant, connection state, theme, user, sign
 * out), the navigation, and the current view in <main>.
 */

const NAV = [
	{ href: "/dashboard/", label: "Overview", icon: ICONS.overview, match: (r: Route) => r.name === "overview" },
	{ href: "/dashboard/events", label: "Live tail", icon: ICONS.tail, match: (r: Route) => r.name === "tail" },
	{ href: "/dashboard/alerts", label: "Alerts", icon: ICONS.alerts, match: (r: Route) => r.name === "alerts" || r.name === "alert" },
];

const STATE_TEXT: Record<ConnectionState["kind"], string> = {
	idle: "Not connected",
	connecting: "Connecting…",
	live: "Live",
	reconnecting: "Reconnecting",
	offline: "Offline",
};

function connectionBadge(scope: Scope): HTMLElement {
	const text = h("span", { class: "conn-text" });
	// Announced once per change of state, not on every tick of the countdown.
	const spoken = h("span", { class: "sr-only", role: "status", "aria-live": "polite" });
	const badge = h("div", { class: "conn", "data-state": "idle" }, h("span", { class: "conn-dot", "aria-hidden": "true" }), h("span", { "aria-hidden": "true" }, text), spoken);
	let tick: ReturnType<typeof setInterval> | undefined;
	scope.add(() => clearInterval(tick));
	scope.add(
		live.socket.state.watch((s) => {
			clearInterval(tick);
			badge.dataset.state = s.kind;
			const say = (t: string) => (text.textContent = t);
			if (s.kind === "reconnecting") {
				const update = () => say(`Reconnecting in ${Math.max(1, Math.ceil((s.at - Date.now()) / 1000))}s`);
				update();
				tick = setInterval(update, 500);
				spoken.textContent = "Live connection lost, reconnecting";
			} else {
				say(STATE_TEXT[s.kind]);
				spoken.textContent = s.kind === "live" ? "Live: updates arrive as they happen" : STATE_TEXT[s.kind];
			}
		}),
	);
	return badge;
}

export type Shell = { el: HTMLElement; show: (view: View, route: Route) => void; dispose: () => void };

export function createShell(): Shell {
	const scope = new Scope();
	const main = h("main", { class: "main", id: "main", tabindex: "-1" });
	const tenant = h("span", { class: "tenant" });
	const user = h("span", { class: "user" });
	const toast = h("div", { class: "toast", role: "status", hidden: true });
	const navLinks = NAV.map((n) => h("a", { href: n.href, class: "nav-link" }, icon(n.icon, 18), h("span", null, n.label)));
	const alertBadge = h("span", { class: "nav-badge", hidden: true });
	navLinks[2]!.append(alertBadge);

	const signOut = h("button", { type: "button", class: "btn ghost small" }, icon(ICONS.signOut), h("span", { class: "hide-sm" }, "Sign out"));
	signOut.setAttribute("aria-label", "Sign out");
	signOut.addEventListener("click", async () => {
		signOut.disabled = true;
		// Our own socket first: the server closes it (4001) once the session ends.
		live.socket.stop();
		const s = auth.session.get();
		try {
			if (s) await post("/auth/logout", { refresh_token: s.refresh_token });
		} catch {
			// The session ends here either way; an expired one is already over on the server.
		}
		auth.end("You signed out.");
	});
	const themeButton = h("button", { type: "button", class: "btn ghost small icon-only", title: "Switch dark or light theme", "aria-label": "Switch dark or light theme", onclick: () => toggleTheme() }, icon(ICONS.theme));

	const el = h(
		"div",
		{ class: "shell" },
		h("a", { class: "skip", href: "#main" }, "Skip to content"),
		h(
			"header",
			{ class: "topbar" },
			h("a", { class: "brand", href: "/dashboard/" }, logo(24), h("span", null, "PulseStream")),
			tenant,
			h("div", { class: "topbar-right" }, connectionBadge(scope), themeButton, user, signOut),
		),
		h("nav", { class: "sidenav", "aria-label": "Dashboard" }, ...navLinks),
		main,
		toast,
	);
	el.querySelector<HTMLAnchorElement>(".skip")!.addEventListener("click", (e) => {
		e.preventDefault();
		main.focus();
	});

	scope.add(
		auth.session.watch((s) => {
			tenant.textContent = s?.tenant ? `${s.tenant.name} · ${s.tenant.slug}` : "";
			replace(user, s ? h("span", { class: "user-email" }, s.user.email) : "", s ? h("span", { class: "role" }, s.user.role) : "");
		}),
	);
	let toastTimer: ReturnType<typeof setTimeout> | undefined;
	scope.add(
		live.socketError.subscribe((message) => {
			if (!message) return;
			toast.textContent = message;
			toast.hidden = false;
			clearTimeout(toastTimer);
			toastTimer = setTimeout(() => (toast.hidden = true), 6000);
		}),
	);
	scope.add(() => clearTimeout(toastTimer));
	// The nav's count of open alerts follows the alert frames.
	const refreshBadge = async () => {
		try {
			const s = await get<{ active: number }>("/dashboard/alerts/summary");
			alertBadge.hidden = !s.active;
			alertBadge.textContent = String(s.active);
			alertBadge.setAttribute("aria-label", `${s.active} active`);
		} catch {
			alertBadge.hidden = true;
		}
	};
	let badgeTimer: ReturnType<typeof setTimeout> | undefined;
	scope.add(live.alertFrames.subscribe(() => {
		clearTimeout(badgeTimer);
		badgeTimer = setTimeout(() => void refreshBadge(), 700);
	}));
	scope.add(() => clearTimeout(badgeTimer));
	void refreshBadge();

	let current: View | null = null;
	return {
		el,
		show(view, route) {
			current?.scope.dispose();
			current = view;
			navLinks.forEach((a, i) => {
				if (NAV[i]!.match(route)) a.setAttribute("aria-current", "page");
				else a.removeAttribute("aria-current");
			});
			replace(main, view.el);
		},
		dispose() {
			current?.scope.dispose();
			current = null;
			scope.dispose();
		},
	};
}
