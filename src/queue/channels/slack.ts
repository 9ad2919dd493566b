import type { AttemptResult, Delivery, SlackConfig } from "../../alerting/types";
import { type PostOptions, postBounded } from "../http";
import { type Facts, facts, oneLine } from "./format";

const EMOJI: Record<string, string> = {
	CRITICAL: ":red_circle:",
	WARNING: ":large_orange_circle:",
	INFO: ":large_blue_circle:",
	TEST: ":test_tube:",
};

/**
 * Slack's mrkdwn treats `&`, `<` and `>` as control characters (`<url|text>`
 * is a link): escape them in anything a tenant typed, so a rule name cannot
 * forge a link or mention.
 */
export function slackEscape(text: string): string {
	return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A link in mrkdwn, or the bare label when the URL would break the syntax. */
function link(url: string, label: string): string {
	return /[<>|\s]/.test(url) ? slackEscape(label) : `<${url}|${slackEscape(label)}>`;
}

/**
 * The Slack message: `text` is the notification's fallback (push
 * notifications, screen readers), `blocks` the readable layout with the
 * same facts.
 */
export function slackMessage(f: Facts): { text: string; blocks: unknown[] } {
	const emoji = EMOJI[f.severity] ?? ":bell:";
	const lines = [f.measurement, ...f.notes].filter((l): l is string => Boolean(l));
	const text = `${emoji} [PulseStream] ${slackEscape(f.headline)}${f.measurement ? ` — ${slackEscape(f.measurement)}` : ""}`;
	const blocks: unknown[] = [
		// Header blocks take plain text of at most 150 characters.
		{ type: "header", text: { type: "plain_text", text: oneLine(`${f.test ? "🧪" : "🚨"} ${f.headline}`, 150), emoji: true } },
	];
	if (f.test) {
		blocks.push({ type: "section", text: { type: "mrkdwn", text: slackEscape(lines.join("\n")) } });
	} else {
		const fields = [
			`*Severity*\n${f.severity}`,
			`*Status*\n${slackEscape(f.status ?? f.kind)}`,
			`*Rule*\n${slackEscape(f.rule ?? "")}`,
			`*When*\n${f.at}`,
		];
		blocks.push({ type: "section", text: { type: "mrkdwn", text: slackEscape(lines.join("\n")) } });
		blocks.push({ type: "section", fields: fields.map((t) => ({ type: "mrkdwn", text: t.slice(0, 2000) })) });
		if (f.description) blocks.push({ type: "section", text: { type: "mrkdwn", text: slackEscape(f.description).slice(0, 3000) } });
		const labels = Object.entries(f.labels).map(([k, v]) => `\`${slackEscape(k)}=${slackEscape(v)}\``);
		if (labels.length > 0) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: labels.join(" ").slice(0, 3000) }] });
		const links = [
			f.runbookUrl ? `:book: ${link(f.runbookUrl, "Runbook")}` : null,
			f.alertUrl ? `:mag: ${link(f.alertUrl, "View alert in PulseStream")}` : null,
		].filter((l): l is string => l !== null);
		if (links.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: links.join("   ") } });
	}
	blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `PulseStream · tenant ${slackEscape(f.tenant)}` }] });
	return { text, blocks };
}

/** Delivers to a Slack incoming webhook; Slack answers 200 `ok` (any 2xx is delivered). */
export async function sendSlack(
	env: Env,
	delivery: Delivery,
	config: SlackConfig,
	options?: PostOptions,
): Promise<AttemptResult> {
	const message = slackMessage(facts(delivery, env.APP_URL));
	return postBounded(
		config.webhook_url,
		{ headers: { "Content-Type": "application/json" }, body: JSON.stringify(message) },
		env,
		options,
	);
}
