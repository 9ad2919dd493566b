import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Channel } from "../../src/alerting/types";
import { deliver } from "../../src/queue/channels";
import { PAGERDUTY_EVENTS_URL } from "../../src/queue/channels/pagerduty";
import { sampleAlert, sampleDelivery } from "./fixtures";
import { RECEIVER, bucket, receivedBy } from "./receiver";

const webhook = (url: string, secret = "whsec_test_secret"): Channel => ({ id: "ch-w", name: "Ops hook", type: "webhook", config: { url, secret } });
const slack = (url: string): Channel => ({ id: "ch-s", name: "#alerts", type: "slack", config: { webhook_url: url } });
const email = (to = ["oncall@example.com", "lead@example.com"]): Channel => ({ id: "ch-e", name: "On-call mail", type: "email", config: { to } });
const pagerduty = (key = "R0UT1NGKEY"): Channel => ({ id: "ch-p", name: "PD", type: "pagerduty", config: { routing_key: key } });

/** The one request a bucket received, its body parsed. */
async function only<T = Record<string, unknown>>(b: string) {
	const got = await receivedBy(b);
	expect(got).toHaveLength(1);
	return { ...got[0]!, json: JSON.parse(got[0]!.body) as T };
}

/** An independent HMAC-SHA256 (WebCrypto, here in the test) of "<t>.<body>". */
async function hmacHex(secret: string, message: string): Promise<string> {
	const enc = new TextEncoder();
	const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
	return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("webhook channel", () => {
	it("POSTs the contract's body with the event, delivery and a signature a receiver can verify", async () => {
		const b = bucket("webhook");
		const secret = "whsec_ünïcode_secret";
		const delivery = sampleDelivery(webhook(`${RECEIVER}/ok/${b}`, secret), "triggered", sampleAlert({ rule_name: "Ümlaut rule ✓" }));
		const before = Math.floor(Date.now() / 1000);
		expect(await deliver(env, delivery)).toEqual({ ok: true });
		const got = await only(b);
		expect(got.method).toBe("POST");
		expect(got.headers["content-type"]).toBe("application/json");
		expect(got.headers["user-agent"]).toBe("PulseStream-Webhook/1");
		expect(got.headers["x-pulsestream-event"]).toBe("alert.triggered");
		expect(got.headers["x-pulsestream-delivery"]).toBe(delivery.notification_id);
		expect(got.json).toEqual(delivery.body);

		const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got.headers["x-pulsestream-signature"] ?? "");
		expect(m).not.toBeNull();
		const t = Number(m![1]);
		expect(t).toBeGreaterThanOrEqual(before);
		expect(t).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
		expect(m![2]).toBe(await hmacHex(secret, `${t}.${got.body}`));
		expect(m![2]).not.toBe(await hmacHex("another secret", `${t}.${got.body}`));
	});

	it("labels each kind with its event type", async () => {
		for (const [kind, type] of [
			["resolved", "alert.resolved"],
			["escalated", "alert.escalated"],
			["test", "test"],
		] as const) {
			const b = bucket(`webhook-${kind}`);
			expect(await deliver(env, sampleDelivery(webhook(`${RECEIVER}/ok/${b}`), kind))).toEqual({ ok: true });
			const got = await only(b);
			expect(got.headers["x-pulsestream-event"]).toBe(type);
			expect(got.json).toMatchObject({ type });
		}
	});

	it("reports a failing receiver (retryable 5xx, permanent 4xx)", async () => {
		expect(await deliver(env, sampleDelivery(webhook(`${RECEIVER}/status/503/${bucket("wh503")}`)))).toEqual({
			ok: false,
			error: "HTTP 503: receiver answered 503",
		});
		expect(await deliver(env, sampleDelivery(webhook(`${RECEIVER}/status/404/${bucket("wh404")}`)))).toMatchObject({
			ok: false,
			permanent: true,
		});
	});

	it("refuses a forbidden URL in production and never throws on a bad one", async () => {
		const b = bucket("wh-prod");
		const production = { ...env, ENVIRONMENT: "production" };
		expect(await deliver(production, sampleDelivery(webhook(`${RECEIVER}/ok/${b}`)))).toMatchObject({
			ok: false,
			permanent: true,
			error: "refused: the URL must use https",
		});
		expect(await receivedBy(b)).toEqual([]);
		expect(await deliver(env, sampleDelivery(webhook("::not a url::")))).toMatchObject({ ok: false, permanent: true });
	});
});

describe("slack channel", () => {
	type SlackBody = { text: string; blocks: unknown[] };

	it("POSTs a readable message with severity, rule, value vs threshold, status and links", async () => {
		const b = bucket("slack");
		const delivery = sampleDelivery(slack(`${RECEIVER}/ok/${b}`));
		expect(await deliver(env, delivery)).toEqual({ ok: true });
		const { json, headers } = await only<SlackBody>(b);
		expect(headers["content-type"]).toBe("application/json");
		expect(json.text).toContain("CRITICAL triggered: High error rate");
		expect(json.text).toContain("error_rate is 12.5% (threshold 5%)");
		const blocks = JSON.stringify(json.blocks);
		expect(blocks).toContain("CRITICAL");
		expect(blocks).toContain("active");
		expect(blocks).toContain("team=payments");
		expect(blocks).toContain("<https://runbooks.example.com/checkout-errors|Runbook>");
		expect(blocks).toContain("<https://pulsestream.test/dashboard/alerts/alert-1|View alert in PulseStream>");
	});

	it("leaves out the alert link without APP_URL and the runbook when there is none", async () => {
		const b = bucket("slack-bare");
		const delivery = sampleDelivery(slack(`${RECEIVER}/ok/${b}`), "resolved", sampleAlert({ runbook_url: null, status: "resolved", resolved_at: "2026-11-23T10:05:00.000Z" }));
		expect(await deliver({ ...env, APP_URL: undefined }, delivery)).toEqual({ ok: true });
		const { json } = await only<SlackBody>(b);
		expect(json.text).toContain("CRITICAL resolved: High error rate");
		const blocks = JSON.stringify(json.blocks);
		expect(blocks).not.toContain("Runbook");
		expect(blocks).not.toContain("/dashboard/alerts/");
	});

	it("escapes Slack control characters in tenant-chosen text", async () => {
		const b = bucket("slack-escape");
		const delivery = sampleDelivery(slack(`${RECEIVER}/ok/${b}`), "triggered", sampleAlert({ rule_name: "<!channel> & <https://evil.example|click>" }));
		expect(await deliver(env, delivery)).toEqual({ ok: true });
		const { json } = await only<SlackBody>(b);
		expect(json.text).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
		expect(json.text).not.toContain("<!channel>");
	});

	it("says a test is a test", async () => {
		const b = bucket("slack-test");
		expect(await deliver(env, sampleDelivery(slack(`${RECEIVER}/ok/${b}`), "test"))).toEqual({ ok: true });
		const { json } = await only<SlackBody>(b);
		expect(json.text).toMatch(/test/i);
		expect(json.text).toContain('"#alerts"');
		expect(JSON.stringify(json.blocks)).toMatch(/This is a test/);
	});
});

describe("email channel", () => {
	type EmailBody = { from: string; to: string[]; subject: string; text: string; html?: string };
	const through = (b: string, path = "ok") => ({ ...env, EMAIL_API_URL: `${RECEIVER}/${path}/${b}`, EMAIL_API_KEY: "re_test_key" });

	it("sends the subject and the facts through the email API", async () => {
		const b = bucket("email");
		expect(await deliver(through(b), sampleDelivery(email()))).toEqual({ ok: true });
		const { json, headers } = await only<EmailBody>(b);
		expect(headers.authorization).toBe("Bearer re_test_key");
		expect(json.to).toEqual(["oncall@example.com", "lead@example.com"]);
		expect(json.subject).toBe("[PulseStream] CRITICAL triggered: High error rate");
		for (const fact of ["error_rate is 12.5% (threshold 5%)", "Severity: CRITICAL", "Status: active", "Runbook: https://runbooks.example.com/checkout-errors", "https://pulsestream.test/dashboard/alerts/alert-1", "team=payments"]) {
			expect(json.text).toContain(fact);
		}
		expect(json.html).toContain("<h2>CRITICAL triggered: High error rate</h2>");
	});

	it("keeps a rule name from breaking the subject line or the HTML", async () => {
		const b = bucket("email-inject");
		const delivery = sampleDelivery(email(), "escalated", sampleAlert({ rule_name: "Evil\r\nBcc: x@evil.example <script>", escalation_level: 2 }));
		expect(await deliver(through(b), delivery)).toEqual({ ok: true });
		const { json } = await only<EmailBody>(b);
		expect(json.subject).toBe("[PulseStream] CRITICAL escalated: Evil Bcc: x@evil.example <script>");
		expect(json.html).not.toContain("<script>");
		expect(json.text).toContain("Escalation level 2");
	});

	it("says a test is a test", async () => {
		const b = bucket("email-test");
		expect(await deliver(through(b), sampleDelivery(email(), "test"))).toEqual({ ok: true });
		const { json } = await only<EmailBody>(b);
		expect(json.subject).toBe('[PulseStream] Test notification for channel "On-call mail"');
		expect(json.text).toMatch(/This is a test/);
	});

	it("makes an email API failure retryable", async () => {
		const result = await deliver(through(bucket("email-fail"), "status/422"), sampleDelivery(email()));
		expect(result).toMatchObject({ ok: false, error: expect.stringContaining("422") });
		expect(result).not.toHaveProperty("permanent");
	});

	it("refuses a channel without recipients for good", async () => {
		expect(await deliver(through(bucket("email-none")), sampleDelivery(email([])))).toMatchObject({ ok: false, permanent: true });
	});
});

describe("pagerduty channel", () => {
	const pd = (b: string, path = "status/202") => ({ ...env, PAGERDUTY_EVENTS_URL: `${RECEIVER}/${path}/${b}` });

	it("uses the Events API v2 endpoint by default", () => {
		expect(PAGERDUTY_EVENTS_URL).toBe("https://events.pagerduty.com/v2/enqueue");
	});

	it("triggers with the alert id as dedup_key and the full payload", async () => {
		const b = bucket("pd-trigger");
		expect(await deliver(pd(b), sampleDelivery(pagerduty()))).toEqual({ ok: true });
		const { json, headers } = await only(b);
		expect(headers["content-type"]).toBe("application/json");
		expect(json).toEqual({
			routing_key: "R0UT1NGKEY",
			event_action: "trigger",
			dedup_key: "alert-1",
			payload: {
				summary: "[CRITICAL] High error rate: error_rate is 12.5% (threshold 5%)",
				source: "pulsestream",
				severity: "critical",
				timestamp: "2026-11-23T10:00:00.000Z",
				component: "High error rate",
				custom_details: {
					metric: "error_rate",
					value: 0.125,
					threshold: 0.05,
					labels: { team: "payments", env: "prod" },
					runbook_url: "https://runbooks.example.com/checkout-errors",
					tenant: { id: "tenant-1", slug: "acme" },
				},
			},
			links: [{ href: "https://runbooks.example.com/checkout-errors", text: "Runbook" }],
			client: "PulseStream",
			client_url: "https://pulsestream.test/dashboard/alerts/alert-1",
		});
	});

	it("maps severities and re-triggers the same incident on escalation; no links without a runbook", async () => {
		for (const severity of ["critical", "warning", "info"] as const) {
			const b = bucket(`pd-${severity}`);
			const delivery = sampleDelivery(pagerduty(), "escalated", sampleAlert({ severity, runbook_url: null, escalation_level: 1 }));
			expect(await deliver(pd(b), delivery)).toEqual({ ok: true });
			const { json } = await only<{ event_action: string; dedup_key: string; payload: { severity: string; custom_details: Record<string, unknown> }; links?: unknown }>(b);
			expect(json.event_action).toBe("trigger");
			expect(json.dedup_key).toBe("alert-1");
			expect(json.payload.severity).toBe(severity);
			expect(json.payload.custom_details.escalation_level).toBe(1);
			expect(json).not.toHaveProperty("links");
		}
	});

	it("acknowledges and resolves with only routing_key, event_action and dedup_key", async () => {
		for (const [kind, action] of [
			["acknowledged", "acknowledge"],
			["resolved", "resolve"],
		] as const) {
			const b = bucket(`pd-${kind}`);
			expect(await deliver(pd(b), sampleDelivery(pagerduty(), kind))).toEqual({ ok: true });
			const { json } = await only(b);
			expect(json).toEqual({ routing_key: "R0UT1NGKEY", event_action: action, dedup_key: "alert-1" });
		}
	});

	it("triggers a test under its own dedup_key", async () => {
		const b = bucket("pd-test");
		const delivery = sampleDelivery(pagerduty(), "test");
		expect(await deliver(pd(b), delivery)).toEqual({ ok: true });
		const { json } = await only<{ event_action: string; dedup_key: string; payload: { summary: string; severity: string; source: string } }>(b);
		expect(json.event_action).toBe("trigger");
		expect(json.dedup_key).toBe(`test-${delivery.notification_id}`);
		expect(json.payload).toMatchObject({ source: "pulsestream", severity: "info" });
		expect(json.payload.summary).toMatch(/test/i);
	});

	it("retries 429 and 5xx, gives up on 400", async () => {
		expect(await deliver(pd(bucket("pd-429"), "status/429"), sampleDelivery(pagerduty()))).toEqual({
			ok: false,
			error: "HTTP 429: receiver answered 429",
		});
		expect(await deliver(pd(bucket("pd-500"), "status/500"), sampleDelivery(pagerduty()))).toEqual({
			ok: false,
			error: "HTTP 500: receiver answered 500",
		});
		expect(await deliver(pd(bucket("pd-400"), "status/400"), sampleDelivery(pagerduty()))).toEqual({
			ok: false,
			error: "HTTP 400: receiver answered 400",
			permanent: true,
		});
	});

	it("keeps the routing key out of the error", async () => {
		const result = await deliver(pd(bucket("pd-secret"), "status/400"), sampleDelivery(pagerduty("SECRETKEY123")));
		expect(JSON.stringify(result)).not.toContain("SECRETKEY123");
	});
});

describe("deliver", () => {
	it("never throws: an unknown channel type is a permanent failure", async () => {
		const bogus = { id: "x", name: "x", type: "carrier-pigeon", config: {} } as unknown as Channel;
		expect(await deliver(env, sampleDelivery(bogus))).toEqual({ ok: false, error: "unknown channel type carrier-pigeon", permanent: true });
	});

	it("never throws: a malformed delivery is a retryable failure", async () => {
		const delivery = sampleDelivery(slack(`${RECEIVER}/ok/${bucket("broken")}`));
		(delivery as { body: unknown }).body = null;
		expect(await deliver(env, delivery)).toMatchObject({ ok: false, error: expect.stringMatching(/^internal error: /) });
	});
});
