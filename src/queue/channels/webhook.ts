import type { AttemptResult, Delivery, WebhookConfig } from "../../alerting/types";
import { toHex } from "../../lib/crypto";
import { type PostOptions, postBounded } from "../http";

const encoder = new TextEncoder();

/**
 * `X-PulseStream-Signature` for a body: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>`, keyed with the secret's UTF-8
 * bytes (the contract). The timestamp is signed too, so a receiver can
 * refuse replays of an old delivery.
 */
export async function signWebhook(secret: string, rawBody: string, unixSeconds: number): Promise<string> {
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
		"sign",
	]);
	const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${unixSeconds}.${rawBody}`));
	return `t=${unixSeconds},v1=${toHex(mac)}`;
}

/**
 * Delivers to a webhook channel: the contract's JSON body, signed. The body
 * is serialized once and those exact bytes are both signed and sent, so the
 * receiver's HMAC over the raw body always matches.
 */
export async function sendWebhook(
	env: Env,
	delivery: Delivery,
	config: WebhookConfig,
	options?: PostOptions,
): Promise<AttemptResult> {
	const raw = JSON.stringify(delivery.body);
	const signature = await signWebhook(config.secret, raw, Math.floor(Date.now() / 1000));
	return postBounded(
		config.url,
		{
			headers: {
				"Content-Type": "application/json",
				"User-Agent": "PulseStream-Webhook/1",
				"X-PulseStream-Event": delivery.body.type,
				"X-PulseStream-Delivery": delivery.notification_id,
				"X-PulseStream-Signature": signature,
			},
			body: encoder.encode(raw),
		},
		env,
		options,
	);
}
