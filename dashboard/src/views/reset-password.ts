import { ApiError, explain, post } from "../api";
import { field, h, replace } from "../dom";
import { Scope } from "../signal";
import { brand } from "./sign-in";
import type { View } from "./view";

/**
 * /dashboard/reset-password?token=…, the page the reset email links to. The
 * token is taken out of the address bar at once (kept in memory only), so it
 * stays out of the history; the page sends no referrer either.
 */
let token: string | null = null;

export function resetPasswordView(): View {
	const scope = new Scope();
	const fromUrl = new URLSearchParams(location.search).get("token");
	if (fromUrl) {
		token = fromUrl;
		history.replaceState(null, "", "/dashboard/reset-password");
	}
	const card = h("div", { class: "auth-card" });
	const el = h("main", { class: "auth-page", id: "main", tabindex: "-1" }, card);
	const signIn = () => h("a", { href: "/dashboard/", class: "btn primary block" }, "Sign in");

	if (!token) {
		replace(
			card,
			brand(),
			h("h1", null, "Reset link incomplete"),
			h("p", { class: "muted" }, "This page needs the link from your reset email. Open the link again, or ask for a new one from the sign-in page."),
			signIn(),
		);
		return { el, title: "Reset password · PulseStream", scope };
	}

	const password = h("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 });
	const confirm = h("input", { name: "confirm_password", type: "password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 });
	const error = h("div", { class: "form-error", role: "alert" });
	const button = h("button", { type: "submit", class: "btn primary block" }, "Set new password");
	const form = h(
		"form",
		{ class: "stack", "aria-label": "Choose a new password" },
		field("New password", password, "At least 8 characters; a passphrase is best."),
		field("Confirm new password", confirm),
		error,
		button,
	);
	form.addEventListener("submit", async (e) => {
		e.preventDefault();
		replace(error);
		if (password.value !== confirm.value) {
			replace(error, "The two passwords are not the same.");
			confirm.focus();
			return;
		}
		button.disabled = true;
		button.textContent = "Saving…";
		try {
			await post("/auth/password-reset/confirm", { token, new_password: password.value }, { auth: false });
			token = null;
			replace(
				card,
				brand(),
				h("h1", null, "Password changed"),
				h("p", { class: "notice", role: "status" }, "Your new password is set, and every session of your account was signed out."),
				signIn(),
			);
			card.querySelector<HTMLAnchorElement>("a")?.focus();
		} catch (err) {
			button.disabled = false;
			button.textContent = "Set new password";
			if (err instanceof ApiError && err.status === 401) {
				replace(error, "This reset link has expired or was already used. Ask for a new one from the sign-in page.");
			} else if (err instanceof ApiError && err.details.length) {
				replace(error, err.details.map((d) => d.message.replace(/^./, (c) => c.toUpperCase())).join(". "), ".");
			} else replace(error, explain(err));
			password.focus();
		}
	});
	replace(
		card,
		brand(),
		h("h1", null, "Choose a new password"),
		h("p", { class: "muted" }, "Setting a new password signs your account out everywhere."),
		form,
		h("p", { class: "auth-foot" }, h("a", { href: "/dashboard/" }, "Back to sign in")),
	);
	queueMicrotask(() => password.focus());
	return { el, title: "Reset password · PulseStream", scope };
}
