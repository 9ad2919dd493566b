import type { AttemptResult, Delivery, EmailConfig } from "../../alerting/types";
import { sendEmail } from "../../email/send";
import { type Facts, facts, oneLine } from "./format";

/** `[PulseStream] CRITICAL triggered: <rule name>` (one line: a rule name cannot add headers). */
export function emailSubject(f: Facts): string {
	return oneLine(`[PulseStream] ${f.headline}`, 200);
}

/** The facts as plain text, one per line. */
export function emailText(f: Facts): string {
	const lines = [f.headline, ""];
	if (f.measurement) lines.push(f.measurement);
	lines.push(...f.notes);
	if (!f.test) {
		lines.push("", `Severity: ${f.severity}`, `Status: ${f.status ?? f.kind}`, `Rule: ${f.rule ?? ""}`, `When: ${f.at}`);
		if (f.description) lines.push(`Description: ${f.description}`);
		const labels = Object.entries(f.labels);
		if (labels.length > 0) lines.push(`Labels: ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`);
		if (f.runbookUrl) lines.push(`Runbook: ${f.runbookUrl}`);
		if (f.alertUrl) lines.push(`View alert: ${f.alertUrl}`);
	}
	lines.push("", `-- PulseStream, tenant ${f.tenant}`);
	return lines.join("\n");
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only http(s) links become anchors, so a stored `javascript:` URL stays text. */
function anchor(url: string, label: string): string {
	return /^https?:\/\//i.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(url);
}

/** The same facts as simple HTML: a heading, the measurement and a table. */
export function emailHtml(f: Facts): string {
	const rows: [string, string][] = [];
	if (!f.test) {
		rows.push(["Severity", escapeHtml(f.severity)], ["Status", escapeHtml(f.status ?? f.kind)], ["Rule", escapeHtml(f.rule ?? "")]);
		rows.push(["When", escapeHtml(f.at)]);
		if (f.description) rows.push(["Description", escapeHtml(f.description)]);
		const labels = Object.entries(f.labels);
		if (labels.length > 0) rows.push(["Labels", escapeHtml(labels.map(([k, v]) => `${k}=${v}`).join(", "))]);
		if (f.runbookUrl) rows.push(["Runbook", anchor(f.runbookUrl, f.runbookUrl)]);
		if (f.alertUrl) rows.push(["Alert", anchor(f.alertUrl, "View in PulseStream")]);
	}
	const paragraphs = [f.measurement, ...f.notes].filter((l): l is string => Boolean(l));
	return [
		`<h2>${escapeHtml(f.headline)}</h2>`,
		...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
		rows.length > 0
			? `<table>${rows.map(([k, v]) => `<tr><th align="left">${k}</th><td>${v}</td></tr>`).join("")}</table>`
			: "",
		`<p style="color:#666">PulseStream, tenant ${escapeHtml(f.tenant)}</p>`,
	].join("\n");
}

/**
 * Delivers to an email channel through the email API (src/email/send.ts).
 * Every failure of that API is retryable: it is our provider, not the
 * tenant's receiver, so a refusal is an outage or a set-up mistake an
 * operator fixes, not a reason to give up on this notification.
 */
export async function sendEmailChannel(env: Env, delivery: Delivery, config: EmailConfig): Promise<AttemptResult> {
	if (!Array.isArray(config.to) || config.to.length === 0) {
		return { ok: false, error: "the channel has no recipients", permanent: true };
	}
	const f = facts(delivery, env.APP_URL);
	try {
		await sendEmail(env, { to: config.to, subject: emailSubject(f), text: emailText(f), html: emailHtml(f) });
		return { ok: true };
	} catch (err) {
		return { ok: false, error: `email API: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
	}
}
