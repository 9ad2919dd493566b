import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addUser, call, eventually, keyHeader, registerTenant } from "../../helpers";
import { type Json, alertingVersion, as, codeOf, created, paths, rule, tick, webhook, webhookBody } from "./alerting-helpers";

const PD_KEY = "R0ut1ngKeyR0ut1ngKeyR0ut1ngKabcd";

async function storedConfig(id: string): Promise<Json> {
	const row = await env.DB.prepare("SELECT config FROM alert_channels WHERE id = ?").bind(id).first<{ config: string }>();
	return JSON.parse(row!.config) as Json;
}

describe("alert channels", () => {
	it("a webhook's generated secret is shown once (no-store), stored, and only flagged in reads", async () => {
		const t = await registerTenant();
		const before = await alertingVersion(t.tenant.id);
		const res = await as(t.access_token, "POST", "/channels", webhookBody());
		expect(res.status).toBe(201);
		expect(res.res.headers.get("Cache-Control")).toBe("no-store");
		const ch = res.body as { id: string; config: { url: string; secret: string; has_secret: boolean } };
		expect(ch).toMatchObject({ name: "Ops webhook", type: "webhook", created_at: expect.any(String), updated_at: expect.any(String) });
		expect(ch.config.url).toBe("https://hooks.example.com/pulse");
		expect(ch.config.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
		expect((await storedConfig(ch.id)).secret).toBe(ch.config.secret);
		// Every config change bumps the version the tenant's object compares (its hand-over may fail: the route still answers).
		expect(await alertingVersion(t.tenant.id)).toBe(before + 1);

		const got = await as(t.access_token, "GET", `/channels/${ch.id}`);
		expect(got.body.config).toEqual({ url: "https://hooks.example.com/pulse", has_secret: true });
		expect(got.res.headers.get("Cache-Control")).toBe("no-store"); // every API answer is no-store (README: Operations)
		const list = await call("/api/v1/alerting/channels", { headers: { Authorization: `Bearer ${t.access_token}` } });
		const text = await list.text();
		expect(text).not.toContain(ch.config.secret);
		expect((JSON.parse(text) as { channels: { id: string }[] }).channels.map((c) => c.id)).toEqual([ch.id]);
	});

	it("keeps a given webhook secret, masks Slack URLs and PagerDuty keys, lowercases email addresses", async () => {
		const t = await registerTenant();
		const hook = await webhook(t, { config: { url: "https://example.com/h", secret: "a-secret-of-my-own-choosing" } });
		expect((hook.config as Json).secret).toBe("a-secret-of-my-own-choosing");

		await tick();
		const slackUrl = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX";
		const slack = await created(t, "/channels", { name: "Slack", type: "slack", config: { webhook_url: slackUrl } });
		expect(slack.config).toEqual({ webhook_url: "https://hooks.slack.com/services/…" });
		expect((await storedConfig(slack.id)).webhook_url).toBe(slackUrl);

		await tick();
		const pd = await created(t, "/channels", { name: "PD", type: "pagerduty", config: { routing_key: PD_KEY } });
		expect(pd.config).toEqual({ routing_key: "…abcd" });
		await tick();
		const email = await created(t, "/channels", { name: "Mail", type: "email", config: { to: ["Ops@Example.com", "b@example.com"] } });
		expect(email.config).toEqual({ to: ["ops@example.com", "b@example.com"] });

		const { body } = await as(t.access_token, "GET", "/channels");
		const text = JSON.stringify(body);
		for (const secret of [slackUrl, PD_KEY, "a-secret-of-my-own-choosing"]) expect(text).not.toContain(secret);
		expect((body.channels as Json[]).map((c) => c.type)).toEqual(["webhook", "slack", "pagerduty", "email"]);
	});

	it("refuses configs that do not fit their type, with the bad field named", async () => {
		const t = await registerTenant();
		const cases: [unknown, string][] = [
			[{ name: "x", type: "sms", config: { to: "+1" } }, "type"],
			[{ name: "x", config: { url: "https://a.example" } }, "type"],
			[{ name: "x", type: "webhook", config: { url: "https://a.example", extra: 1 } }, "config"],
			[{ name: "x", type: "webhook", config: {} }, "config.url"],
			[{ name: "x", type: "webhook", config: { url: "https://a.example", secret: "short" } }, "config.secret"],
			[{ name: "x", type: "webhook", config: { url: "not a url" } }, "config.url"],
			[{ name: "x", type: "webhook", config: { url: "ftp://a.example/x" } }, "config.url"],
			[{ name: "x", type: "webhook", config: { url: "https://user:pw@a.example/x" } }, "config.url"],
			[{ name: "x", type: "slack", config: { webhook_url: "javascript:alert(1)" } }, "config.webhook_url"],
			[{ name: "x", type: "slack", config: { url: "https://hooks.slack.com/services/x" } }, "config"],
			[{ name: "x", type: "email", config: { to: [] } }, "config.to"],
			[{ name: "x", type: "email", config: { to: ["not-an-email"] } }, "config.to.0"],
			[{ name: "x", type: "email", config: { to: ["a@example.com", "a@example.com"] } }, "config.to"],
			[{ name: "x", type: "email", config: { to: Array.from({ length: 21 }, (_, i) => `u${i}@example.com`) } }, "config.to"],
			[{ name: "x", type: "email", config: { to: "a@example.com" } }, "config.to"],
			[{ name: "x", type: "pagerduty", config: { routing_key: "too-short" } }, "config.routing_key"],
			[{ name: "", type: "pagerduty", config: { routing_key: PD_KEY } }, "name"],
			[{ name: "x", type: "pagerduty", config: { routing_key: PD_KEY }, colour: "red" }, "(body)"],
		];
		for (const [body, path] of cases) {
			const res = await as(t.access_token, "POST", "/channels", body);
			expect(res.status, JSON.stringify(body)).toBe(422);
			expect(codeOf(res.body)).toBe("VALIDATION_ERROR");
			expect(paths(res.body), JSON.stringify(body)).toContain(path);
		}
		expect((await as(t.access_token, "GET", "/channels")).body.channels).toEqual([]);
		expect((await as(t.access_token, "POST", "/channels", "{")).status).toBe(400);
	});

	it("PATCH renames and replaces the config of the same type; a webhook keeps its secret unless given a new one", async () => {
		const t = await registerTenant();
		const hook = await webhook(t);
		const secret = (hook.config as Json).secret;

		const renamed = await as(t.access_token, "PATCH", `/channels/${hook.id}`, { name: "Renamed", config: { url: "https://new.example.com/x" } });
		expect(renamed.status).toBe(200);
		expect(renamed.body).toMatchObject({ name: "Renamed", config: { url: "https://new.example.com/x", has_secret: true } });
		expect(renamed.res.headers.get("Cache-Control")).toBe("no-store");
		expect((await storedConfig(hook.id)).secret).toBe(secret);

		const rotated = await as(t.access_token, "PATCH", `/channels/${hook.id}`, { config: { url: "https://new.example.com/x", secret: "the-rotated-secret-value" } });
		expect(rotated.body.config).toEqual({ url: "https://new.example.com/x", has_secret: true, secret: "the-rotated-secret-value" });
		expect(rotated.res.headers.get("Cache-Control")).toBe("no-store");
		expect((await as(t.access_token, "GET", `/channels/${hook.id}`)).body.config).toEqual({ url: "https://new.example.com/x", has_secret: true });

		const retype = await as(t.access_token, "PATCH", `/channels/${hook.id}`, { type: "slack", config: { webhook_url: "https://hooks.slack.com/x" } });
		expect(retype.status).toBe(422);
		expect(paths(retype.body)).toEqual(["type"]);
		expect((await as(t.access_token, "PATCH", `/channels/${hook.id}`, { type: "webhook", name: "Same type" })).status).toBe(200);
		const bad = await as(t.access_token, "PATCH", `/channels/${hook.id}`, { config: { webhook_url: "https://x.example" } });
		expect(bad.status).toBe(422);
		expect(paths(bad.body)).toEqual(expect.arrayContaining(["config.url"]));
		const badUrl = await as(t.access_token, "PATCH", `/channels/${hook.id}`, { config: { url: "gopher://x.example" } });
		expect(paths(badUrl.body)).toEqual(["config.url"]);
		expect((await as(t.access_token, "PATCH", `/channels/${hook.id}`, { name: "" })).status).toBe(422);
	});

	it("a channel still used by a rule or a policy step is not deleted (409 naming them); an unused one is", async () => {
		const t = await registerTenant();
		const used = await webhook(t, { name: "Used" });
		const stepOnly = await webhook(t, { name: "In a step" });
		const free = await webhook(t, { name: "Free" });
		const r = await rule(t, { name: "Errors rule", channel_ids: [used.id] });
		const p = await created(t, "/escalation-policies", { name: "Night shift", steps: [{ delay_seconds: 0, channel_ids: [stepOnly.id] }] });

		const refused = await as(t.access_token, "DELETE", `/channels/${used.id}`);
		expect(refused.status).toBe(409);
		expect(codeOf(refused.body)).toBe("CONFLICT");
		expect((refused.body.error as Json).message).toContain('rule "Errors rule"');
		const inStep = await as(t.access_token, "DELETE", `/channels/${stepOnly.id}`);
		expect(inStep.status).toBe(409);
		expect((inStep.body.error as Json).message).toContain('escalation policy "Night shift"');
		expect(JSON.stringify(inStep.body)).toContain(p.id);

		expect((await as(t.access_token, "DELETE", `/channels/${free.id}`)).status).toBe(204);
		expect((await as(t.access_token, "GET", `/channels/${free.id}`)).status).toBe(404);
		expect((await as(t.access_token, "DELETE", `/channels/${free.id}`)).status).toBe(404);

		// Once the rule no longer names it, it can go.
		expect((await as(t.access_token, "PATCH", `/rules/${r.id}`, { channel_ids: [] })).status).toBe(200);
		expect((await as(t.access_token, "DELETE", `/channels/${used.id}`)).status).toBe(204);
	});

	it("viewers read but do not write; API keys and anonymous callers are refused", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const admin = await addUser(t, "admin");
		const hook = await webhook(t);
		expect((await as(viewer.access_token, "GET", "/channels")).status).toBe(200);
		expect((await as(viewer.access_token, "GET", `/channels/${hook.id}`)).status).toBe(200);
		for (const [method, path, body] of [
			["POST", "/channels", webhookBody()],
			["PATCH", `/channels/${hook.id}`, { name: "x" }],
			["DELETE", `/channels/${hook.id}`, undefined],
			["POST", `/channels/${hook.id}/test`, undefined],
		] as const) {
			const res = await as(viewer.access_token, method, path, body);
			expect(res.status, `${method} ${path}`).toBe(403);
			expect(codeOf(res.body)).toBe("FORBIDDEN");
		}
		expect((await as(admin.access_token, "PATCH", `/channels/${hook.id}`, { name: "By admin" })).status).toBe(200);
		expect((await call("/api/v1/alerting/channels", { headers: keyHeader(t) })).status).toBe(401);
		expect((await call("/api/v1/alerting/channels")).status).toBe(401);
	});

	it("another tenant's channel is a 404 on every route", async () => {
		const a = await registerTenant();
		const b = await registerTenant();
		const hook = await webhook(a);
		for (const [method, path, body] of [
			["GET", `/channels/${hook.id}`, undefined],
			["PATCH", `/channels/${hook.id}`, { name: "stolen" }],
			["DELETE", `/channels/${hook.id}`, undefined],
			["POST", `/channels/${hook.id}/test`, undefined],
		] as const) {
			const res = await as(b.access_token, method, path, body);
			expect(res.status, `${method} ${path}`).toBe(404);
			expect(codeOf(res.body)).toBe("NOT_FOUND");
		}
		expect((await as(b.access_token, "GET", "/channels")).body.channels).toEqual([]);
		expect((await as(a.access_token, "GET", `/channels/${hook.id}`)).body.name).toBe("Ops webhook");
	});

	it("an unknown channel's test is a 404 without waking the tenant's object", async () => {
		const t = await registerTenant();
		expect((await as(t.access_token, "POST", "/channels/nope/test")).status).toBe(404);
	});

	it("POST /{id}/test (no body) queues a test notification: 202 with its id, then listed under notifications", async () => {
		const t = await registerTenant();
		const hook = await webhook(t);
		const res = await call(`/api/v1/alerting/channels/${hook.id}/test`, { method: "POST", headers: { Authorization: `Bearer ${t.access_token}` } });
		expect(res.status).toBe(202);
		const { notification_id } = await res.json<{ notification_id: string }>();
		expect(notification_id).toEqual(expect.any(String));
		await eventually(async () => {
			const { body } = await as(t.access_token, "GET", "/notifications?kind=test");
			return (body.notifications as Json[]).some((n) => n.id === notification_id && n.channel_id === hook.id && n.alert_id === null);
		});
	});
});
