import { log } from "../lib/log";

export type Email = { to: string[]; subject: string; text: string; html?: string };

const FROM = "PulseStream <no-reply@pulsestream.dev>";
const TIMEOUT_MS = 10_000;

/**
 * Sends through the HTTP email API of the contract (Resend's `/emails`
 * shape): `POST EMAIL_API_URL` with `Authorization: Bearer EMAIL_API_KEY`.
 * Without EMAIL_API_URL the email is written to the log instead, which is
 * how development and tests read it. Throws when the API refuses.
 */
export async function sendEmail(env: Env, email: Email): Promise<void> {
	const from = env.EMAIL_FROM || FROM;
	if (!env.EMAIL_API_URL) {
		log("warn", "email not sent: EMAIL_API_URL is not set, so here it is in the log", { email: { from, ...email } });
		return;
	}
	if (!env.EMAIL_API_KEY) {
		throw new Error("EMAIL_API_URL is set but EMAIL_API_KEY is not; set it with `wrangler secret put EMAIL_API_KEY`");
	}
	const res = await fetch(env.EMAIL_API_URL, {
		method: "POST",
		headers: {
			"Content-Type": "application/json",
			Authorization: `Bearer ${env.EMAIL_API_KEY}`,
		},
		body: JSON.stringify({ from, ...email }),
		signal: AbortSignal.timeout(TIMEOUT_MS),
	});
	if (!res.ok) {
		const body = (await res.text()).slice(0, 200);
		throw new Error(`email API answered ${res.status}: ${body}`);
	}
}
