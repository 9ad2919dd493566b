import type { Email } from "./send";

/**
 * The password reset email. It carries no text an anonymous caller chose:
 * anyone can register a tenant with any name and slug and list any address
 * as its owner, so a tenant name, slug or full name here would let a
 * stranger put their sentence in a genuine email from us to a victim
 * ("call this number…"). What is left is ours: fixed wording, the
 * recipient's own address, and a link to our APP_URL. The recipient typed
 * the tenant into the form themselves; the link knows which account it is.
 */
export function resetEmail(to: string, link: string, validMinutes: number): Email {
	return {
		to: [to],
		subject: "Reset your PulseStream password",
		text:
			`Someone asked to reset the PulseStream password of ${to}.\n\n` +
			`Set a new password here (the link works once, for ${validMinutes} minutes):\n${link}\n\n` +
			"If it was not you, ignore this email; your password stays as it is.",
		html:
			`<p>Someone asked to reset the PulseStream password of <b>${escapeHtml(to)}</b>.</p>` +
			`<p><a href="${escapeHtml(link)}">Set a new password</a> (the link works once, for ${validMinutes} minutes).</p>` +
			"<p>If it was not you, ignore this email; your password stays as it is.</p>",
	};
}

const escapeHtml = (s: string) =>
	s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
