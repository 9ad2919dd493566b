import { createHmac, timingSafeEqual } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");
const receiver = inject("receiverUrl");

type Registered = { tenant: { id: string; slug: string }; api_key: { key: string }; access_token: string };
type Received = { at: number; headers: Record<string, string>; body: string };
let t: Registered;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${base}${path}`, {
		method,
		headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
}
const user = () => ({ Authorization: `Bearer ${t.access_token}` });
const key = () => ({ "X-API-Key": t.api_key.key });

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
	const started = Date.now();
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() - started > timeoutMs) throw new Error("not in time");
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** The first delivery of `event` the receiver got at `bucket`, waited for up to 10 s. */
function delivered(bucket: string, event: string): Promise<Received> {
	return waitFor(async () => {
		const got = (await (await fetch(`${receiver}${bucket}`)).json()) as Received[];
		return got.find((r) => r.headers["x-pulsestream-event"] === event);
	}, 10_000);
}

/** The contract's signature, checked by an implementation that is not ours. */
function verify(secret: string, header: string, raw: string): boolean {
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
	if (!m) return false;
	const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${m[1]}.${raw}`).digest();
	return timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
}

beforeAll(async () => {
	const res = await call("POST", "/api/v1/auth/register/tenant", {
		name: "E2E alerting",
		slug: `e2e-alerts-${Date.now().toString(36)}`,
		email: "alerts@example.test",
		password: "end-to-end-password",
	});
	expect(res.status).toBe(201);
	t = res.body as Registered;
});

describe("alerting, end to end over HTTP", () => {
	it("a local receiver gets a signed alert.triggered within 10 s of ingesting errors, then alert.resolved", async () => {
		const bucket = `/hooks/${Date.now()}`;
		const channel = await call("POST", "/api/v1/alerting/channels", { name: "local", type: "webhook", config: { url: `${receiver}${bucket}` } }, user());
		expect(channel.status).toBe(201);
		const secret = channel.body.config.secret as string;
		expect(secret).toEqual(expect.any(String));
		const rule = await call(
			"POST",
			"/api/v1/alerting/rules",
			{
				name: "checkout errors",
				severity: "critical",
				condition: { metric: "error_rate", operator: "gt", threshold: 0.5, window_seconds: 60, filter: { source: "checkout" } },
				resolve_threshold: 0.2,
				labels: { team: "payments" },
				runbook_url: "https://runbooks.example.test/checkout",
				channel_ids: [channel.body.id],
				cooldown_seconds: 0,
			},
			user(),
		);
		expect(rule.status).toBe(201);

		const sentAt = Date.now();
		const errors = Array.from({ length: 10 }, () => ({ event_type: "api_call", source: "checkout", endpoint: "/pay", method: "POST", status_code: 503, response_time_ms: 80 }));
		expect((await call("POST", "/api/v1/ingestion/events/batch", { events: errors }, key())).body.accepted).toBe(10);

		const triggered = await delivered(bucket, "alert.triggered");
		expect(triggered.at - sentAt).toBeLessThan(10_000);
		expect(verify(secret, triggered.headers["x-pulsestream-signature"]!, triggered.body)).toBe(true);
		expect(verify("not-the-secret", triggered.headers["x-pulsestream-signature"]!, triggered.body)).toBe(false);
		const payload = JSON.parse(triggered.body);
		expect(payload).toMatchObject({
			type: "alert.triggered",
			tenant: { id: t.tenant.id, slug: t.tenant.slug },
			alert: { rule_id: rule.body.id, status: "active", metric: "error_rate", threshold: 0.5, severity: "critical" },
		});
		expect(triggered.headers["x-pulsestream-delivery"]).toBe(payload.id);

		// Healthy traffic brings the rate below the resolve threshold: the alert resolves itself.
		const ok = Array.from({ length: 90 }, () => ({ event_type: "api_call", source: "checkout", endpoint: "/pay", method: "POST", status_code: 200, response_time_ms: 20 }));
		await call("POST", "/api/v1/ingestion/events/batch", { events: ok }, key());
		const resolved = await delivered(bucket, "alert.resolved");
		expect(verify(secret, resolved.headers["x-pulsestream-signature"]!, resolved.body)).toBe(true);
		expect(JSON.parse(resolved.body).alert).toMatchObject({ id: payload.alert.id, status: "resolved" });

		// The REST side: the alert, its timeline and its delivered notifications (D1 mirror).
		const detail = await waitFor(async () => {
			const res = await call("GET", `/api/v1/alerting/alerts/${payload.alert.id}`, undefined, user());
			return res.body?.status === "resolved" && res.body.timeline?.some((e: { type: string }) => e.type === "notification.delivered") ? res.body : undefined;
		}, 10_000);
		expect(detail.timeline.map((e: { type: string }) => e.type)).toContain("triggered");
		const notes = await call("GET", `/api/v1/alerting/notifications?alert_id=${payload.alert.id}`, undefined, user());
		expect(notes.body.notifications.map((n: { kind: string }) => n.kind).sort()).toEqual(["resolved", "triggered"]);
	});

	it("escalation runs from the Cron Trigger under npm run dev", async () => {
		const bucket = `/escalate/${Date.now()}`;
		const channel = await call("POST", "/api/v1/alerting/channels", { name: "pager", type: "webhook", config: { url: `${receiver}${bucket}` } }, user());
		const policy = await call("POST", "/api/v1/alerting/escalation-policies", { name: "now", steps: [{ delay_seconds: 0, channel_ids: [channel.body.id] }] }, user());
		expect(policy.status).toBe(201);
		const rule = await call(
			"POST",
			"/api/v1/alerting/rules",
			{
				name: "any error",
				severity: "warning",
				condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60, filter: { source: "escalation-probe" } },
				escalation_policy_id: policy.body.id,
			},
			user(),
		);
		expect(rule.status).toBe(201);
		await call("POST", "/api/v1/ingestion/events", { event_type: "error", source: "escalation-probe" }, key());
		const alert = await waitFor(async () => {
			const res = await call("GET", `/api/v1/alerting/alerts?rule_id=${rule.body.id}`, undefined, user());
			return res.body?.alerts?.[0];
		}, 10_000);
		// /__scheduled (--test-scheduled): with static assets on, /cdn-cgi/handler/scheduled misses the Worker.
		expect((await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`)).status).toBe(200);
		const escalated = await delivered(bucket, "alert.escalated");
		expect(JSON.parse(escalated.body).alert.id).toBe(alert.id);
	});

	it("a channel test, a silence and an acknowledgement, over HTTP", async () => {
		const bucket = `/quiet/${Date.now()}`;
		const channel = await call("POST", "/api/v1/alerting/channels", { name: "quiet", type: "webhook", config: { url: `${receiver}${bucket}` } }, user());
		const test = await call("POST", `/api/v1/alerting/channels/${channel.body.id}/test`, undefined, user());
		expect(test.status).toBe(202);
		expect(JSON.parse((await delivered(bucket, "test")).body).id).toBe(test.body.notification_id);

		const rule = await call(
			"POST",
			"/api/v1/alerting/rules",
			{
				name: "quiet errors",
				severity: "info",
				condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60, filter: { source: "silenced-probe" } },
				labels: { team: "quiet" },
				channel_ids: [channel.body.id],
			},
			user(),
		);
		const silence = await call(
			"POST",
			"/api/v1/alerting/silences",
			{ labels: { team: "quiet" }, starts_at: Date.now() - 1000, ends_at: Date.now() + 3_600_000, comment: "maintenance" },
			user(),
		);
		expect(silence.status).toBe(201);
		await call("POST", "/api/v1/ingestion/events", { event_type: "error", source: "silenced-probe" }, key());
		const alert = await waitFor(async () => (await call("GET", `/api/v1/alerting/alerts?rule_id=${rule.body.id}`, undefined, user())).body?.alerts?.[0], 10_000);
		const notes = await waitFor(async () => {
			const res = await call("GET", `/api/v1/alerting/notifications?alert_id=${alert.id}`, undefined, user());
			return res.body?.notifications?.length ? res.body.notifications : undefined;
		}, 10_000);
		expect(notes.map((n: { status: string }) => n.status)).toEqual(["silenced"]);
		const acked = await call("POST", `/api/v1/alerting/alerts/${alert.id}/acknowledge`, { note: "seen" }, user());
		expect(acked.status).toBe(200);
		expect(acked.body).toMatchObject({ id: alert.id, status: "acknowledged", acknowledged_by: "alerts@example.test" });
		// Nothing but the test reached the receiver.
		const got = (await (await fetch(`${receiver}${bucket}`)).json()) as Received[];
		expect(got.map((r) => r.headers["x-pulsestream-event"])).toEqual(["test"]);
	});
});
