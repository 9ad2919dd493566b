import { ApiError, explain, post } from "../api";
import * as auth from "../auth";
import { field, h, logo, replace } from "../dom";
import { Scope } from "../signal";
import type { LoggedIn } from "../types";
import type { View } from "./view";

/**
 * Sign in (tenant slug, email, password) and, behind "Forgot your
 * password?", the reset request. Errors are the API's own messages
 * (a lockout says when to try again).
 */

const LAST_TENANT = "pulsestream.tenant";

export function brand(): HTMLElement {
	return h(
		"div",
		{ class: "brand" },
		logo(28),
		h("span", null, "PulseStream"),
	);
}

function input(name: string, type: string, autocomplete: string, extra: Record<string, string | boolean> = {}): HTMLInputElement {
	return h("input", { name, type, autocomplete, required: true, spellcheck: "false", autocapitalize: "none", ...extra });
}

function submitting(form: HTMLFormElement, busy: boolean, label: string): void {
	const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
	button.disabled = busy;
	button.textContent = busy ? "Please wait…" : label;
	form.setAttribute("aria-busy", String(busy));
}

export function signInView(): View {
	const scope = new Scope();
	const card = h("div", { class: "auth-card" });
	const el = h("main", { class: "auth-page", id: "main", tabindex: "-1" }, card);
	const lastTenant = localStorage.getItem(LAST_TENANT) ?? "";

	function showSignIn(notice?: string): void {
		const tenant = input("tenant", "text", "organization", { value: lastTenant, pattern: "[A-Za-z0-9][A-Za-z0-9\\-]{1,62}" });
		const email = input("email", "email", "username");
		const password = input("password", "password", "current-password");
		const error = h("div", { class: "form-error", role: "alert" });
		const ended = auth.endedBecause.get();
		const form = h(
			"form",
			{ class: "stack", "aria-label": "Sign in", novalidate: false },
			field("Tenant", tenant, "Your workspace's slug, as in acme or acme-eu."),
			field("Email", email),
			field("Password", password),
			error,
			h("button", { type: "submit", class: "btn primary block" }, "Sign in"),
		);
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			replace(error);
			submitting(form, true, "Sign in");
			try {
				const answer = await post<LoggedIn>(
					"/auth/login",
					{ tenant: tenant.value.trim().toLowerCase(), email: email.value.trim(), password: password.value },
					{ auth: false },
				);
				localStorage.setItem(LAST_TENANT, tenant.value.trim().toLowerCase());
				auth.begin(answer);
			} catch (err) {
				submitting(form, false, "Sign in");
				replace(error, explain(err));
				if (err instanceof ApiError && err.code === "ACCOUNT_LOCKED") {
					error.append(" ", h("button", { type: "button", class: "link", onclick: () => showForgot() }, "Reset your password"));
				}
				password.select();
			}
		});
		replace(
			card,
			brand(),
			h("h1", null, "Sign in"),
			h("p", { class: "muted" }, "Live events, error rates, latency and alerts for your APIs."),
			notice || ended ? h("p", { class: "notice", role: "status" }, notice ?? ended) : null,
			form,
			h("p", { class: "auth-foot" }, h("button", { type: "button", class: "link", onclick: () => showForgot() }, "Forgot your password?")),
		);
		(lastTenant ? email : tenant).focus();
	}

	function showForgot(): void {
		const tenant = input("tenant", "text", "organization", { value: lastTenant, pattern: "[A-Za-z0-9][A-Za-z0-9\\-]{1,62}" });
		const email = input("email", "email", "username");
		const error = h("div", { class: "form-error", role: "alert" });
		const form = h(
			"form",
			{ class: "stack", "aria-label": "Reset your password" },
			field("Tenant", tenant),
			field("Email", email),
			error,
			h("button", { type: "submit", class: "btn primary block" }, "Send reset link"),
		);
		form.addEventListener("submit", async (e) => {
			e.preventDefault();
			replace(error);
			submitting(form, true, "Send reset link");
			try {
				await post("/auth/password-reset/request", { tenant: tenant.value.trim().toLowerCase(), email: email.value.trim() }, { auth: false });
				showSignIn(`If ${email.value.trim()} has an account in ${tenant.value.trim()}, a reset link is on its way. It works once, for one hour.`);
			} catch (err) {
				submitting(form, false, "Send reset link");
				replace(error, explain(err));
			}
		});
		replace(
			card,
			brand(),
			h("h1", null, "Reset your password"),
			h("p", { class: "muted" }, "We will email you a link to choose a new password."),
			form,
			h("p", { class: "auth-foot" }, h("button", { type: "button", class: "link", onclick: () => showSignIn() }, "Back to sign in")),
		);
		(lastTenant ? email : tenant).focus();
	}

	showSignIn();
	return { el, title: "Sign in · PulseStream", scope };
}
