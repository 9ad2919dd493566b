import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Registered, addUser, bearer, call, eventually, ingest, registerTenant } from "../../helpers";
import { A, type Json, as, codeOf, paths, rule } from "./alerting-helpers";

type Seed = { id?: string; status?: string; severity?: string; rule_id?: string; triggered_at: number; acknowledged_at?: number | null };

/** Writes alerts into D1 as the tenant's object's sync would (the routes read D1's copy). */
async function seedAlert(tenantId: string, a: Seed): Promise<string> {
	const id = a.id ?? crypto.randomUUID().replaceAll("-", "");
	await env.DB.prepare(
		`INSERT INTO alerts (id, tenant_id, rule_id, rule_name, severity, status, metric, value, threshold, labels, escalation_policy_id,
			triggered_at, acknowledged_at, acknowledged_by, resolved_at, escalation_level, updated_at)
		VALUES (?, ?, ?, 'Errors', ?, ?, 'error_count', 12, 10, '{"team":"a"}', NULL, ?, ?, ?, NULL, 0, ?)`,
	)
		.bind(id, tenantId, a.rule_id ?? "rule-1", a.severity ?? "critical", a.status ?? "active", a.triggered_at, a.acknowledged_at ?? null, a.acknowledged_at ? "ops@example.com" : null, a.triggered_at)
		.run();
	return id;
}

async function seedNotification(tenantId: string, n: { id: string; alert_id: string | null; status?: string; kind?: string; created_at: number }) {
	await env.DB.prepare(
		`INSERT INTO notifications (id, tenant_id, alert_id, channel_id, kind, status, attempts, last_error, created_at, delivered_at, updated_at)
		VALUES (?, ?, ?, 'ch-1', ?, ?, 1, NULL, ?, NULL, ?)`,
	)
		.bind(n.id, tenantId, n.alert_id, n.kind ?? "triggered", n.status ?? "pending", n.created_at, n.created_at)
		.run();
}

const ids = (body: Json, key: string) => (body[key] as Json[]).map((x) => x.id);

describe("alerts", () => {
	it("lists newest triggered first, filters by status, severity and rule, and pages with a cursor", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const base = Date.parse("2026-11-23T10:00:00.000Z");
		const a1 = await seedAlert(t.tenant.id, { triggered_at: base, status: "resolved", severity: "info" });
		const a2 = await seedAlert(t.tenant.id, { triggered_at: base + 1000, status: "acknowledged", acknowledged_at: base + 1500 });
		const a3 = await seedAlert(t.tenant.id, { triggered_at: base + 2000, rule_id: "rule-2", severity: "warning" });
		// Same millisecond: the cursor still orders and splits them.
		const a4 = await seedAlert(t.tenant.id, { id: "zzz-same-ms", triggered_at: base + 3000 });
		const a5 = await seedAlert(t.tenant.id, { id: "aaa-same-ms", triggered_at: base + 3000 });
		await seedAlert(other.tenant.id, { triggered_at: base + 5000 });

		const all = await as(t.access_token, "GET", "/alerts");
		expect(all.status).toBe(200);
		expect(ids(all.body, "alerts")).toEqual([a4, a5, a3, a2, a1]);
		expect(all.body.next_cursor).toBeNull();
		expect((all.body.alerts as Json[])[3]).toEqual({
			id: a2,
			rule_id: "rule-1",
			rule_name: "Errors",
			severity: "critical",
			status: "acknowledged",
			metric: "error_count",
			value: 12,
			threshold: 10,
			labels: { team: "a" },
			triggered_at: "2026-11-23T10:00:01.000Z",
			acknowledged_at: "2026-11-23T10:00:01.500Z",
			acknowledged_by: "ops@example.com",
			resolved_at: null,
			escalation_level: 0,
		});

		expect(ids((await as(t.access_token, "GET", "/alerts?status=active")).body, "alerts")).toEqual([a4, a5, a3]);
		expect(ids((await as(t.access_token, "GET", "/alerts?status=resolved")).body, "alerts")).toEqual([a1]);
		expect(ids((await as(t.access_token, "GET", "/alerts?severity=warning")).body, "alerts")).toEqual([a3]);
		expect(ids((await as(t.access_token, "GET", "/alerts?rule_id=rule-2")).body, "alerts")).toEqual([a3]);

		const seen: unknown[] = [];
		let cursor: unknown = null;
		do {
			const page = await as(t.access_token, "GET", `/alerts?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
			expect((page.body.alerts as Json[]).length).toBeLessThanOrEqual(2);
			seen.push(...ids(page.body, "alerts"));
			cursor = page.body.next_cursor;
		} while (cursor);
		expect(seen).toEqual([a4, a5, a3, a2, a1]);

		for (const q of ["status=open", "severity=fatal", "limit=0", "limit=501", "limit=ten", "cursor=nope"]) {
			const res = await as(t.access_token, "GET", `/alerts?${q}`);
			expect(res.status, q).toBe(422);
			expect(codeOf(res.body)).toBe("VALIDATION_ERROR");
		}
	});

	it("GET /{id} shows the alert with its timeline in order and its notifications; another tenant's alert is a 404", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const at = Date.parse("2026-11-23T10:00:00.000Z");
		const id = await seedAlert(t.tenant.id, { triggered_at: at });
		const timeline = [
			[2, "acknowledged", at + 2000, { by: "ops@example.com", note: "on it", type: "spoofed" }],
			[1, "notified", at, { channel_id: "ch-1" }],
			[0, "triggered", at, { value: 12 }],
		] as const;
		for (const [seq, type, when, data] of timeline) {
			await env.DB.prepare("INSERT INTO alert_timeline (id, tenant_id, alert_id, at, seq, type, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
				.bind(crypto.randomUUID(), t.tenant.id, id, when, seq, type, JSON.stringify(data))
				.run();
		}
		await seedNotification(t.tenant.id, { id: "n-1", alert_id: id, created_at: at, status: "delivered" });
		await seedNotification(t.tenant.id, { id: "n-2", alert_id: "someone-else", created_at: at });

		const res = await as(t.access_token, "GET", `/alerts/${id}`);
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ id, status: "active", triggered_at: "2026-11-23T10:00:00.000Z" });
		expect(res.body.timeline).toEqual([
			{ at: "2026-11-23T10:00:00.000Z", type: "triggered", value: 12 },
			{ at: "2026-11-23T10:00:00.000Z", type: "notified", channel_id: "ch-1" },
			{ at: "2026-11-23T10:00:02.000Z", type: "acknowledged", by: "ops@example.com", note: "on it" },
		]);
		expect(res.body.notifications).toEqual([
			{ id: "n-1", alert_id: id, channel_id: "ch-1", kind: "triggered", status: "delivered", attempts: 1, last_error: null, created_at: "2026-11-23T10:00:00.000Z", delivered_at: null },
		]);
		expect((await as(other.access_token, "GET", `/alerts/${id}`)).status).toBe(404);
		expect((await as(t.access_token, "GET", "/alerts/unknown")).status).toBe(404);
	});

	it("viewers read alerts; API keys and anonymous callers do not", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const id = await seedAlert(t.tenant.id, { triggered_at: Date.now() });
		expect((await as(viewer.access_token, "GET", "/alerts")).status).toBe(200);
		expect((await as(viewer.access_token, "GET", `/alerts/${id}`)).status).toBe(200);
		expect((await call(`${A}/alerts`, { headers: { "X-API-Key": t.api_key.key } })).status).toBe(401);
		expect((await call(`${A}/alerts`)).status).toBe(401);
	});
});

describe("alert actions", () => {
	const act = (token: string, id: string, action: string, init: RequestInit = {}) =>
		call(`${A}/alerts/${id}/${action}`, { method: "POST", ...init, headers: { ...bearer(token), ...(init.headers as Record<string, string>) } });

	it("an unknown alert or another tenant's is a 404 before the tenant's object is asked, with or without a body", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const theirs = await seedAlert(other.tenant.id, { triggered_at: Date.now() });
		for (const action of ["acknowledge", "resolve", "escalate"]) {
			// No body, no Content-Type: an action needs neither.
			expect((await act(t.access_token, theirs, action)).status, action).toBe(404);
			expect((await act(t.access_token, "nope", action)).status).toBe(404);
			const empty = await act(t.access_token, theirs, action, { headers: { "Content-Type": "application/json", "Content-Length": "0" } });
			expect(empty.status).toBe(404);
			const noted = await act(t.access_token, theirs, action, { headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: "looking" }) });
			expect(noted.status).toBe(404);
		}
	});

	it("viewers may not act (403); a bad body is refused before anything happens", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const id = await seedAlert(t.tenant.id, { triggered_at: Date.now() });
		for (const action of ["acknowledge", "resolve", "escalate"]) {
			const res = await act(viewer.access_token, id, action);
			expect(res.status, action).toBe(403);
		}
		const json = { "Content-Type": "application/json" };
		expect((await act(t.access_token, id, "acknowledge", { headers: json, body: JSON.stringify({ note: "n".repeat(1001) }) })).status).toBe(422);
		expect((await act(t.access_token, id, "acknowledge", { headers: json, body: JSON.stringify({ note: 5 }) })).status).toBe(422);
		expect((await act(t.access_token, id, "acknowledge", { headers: json, body: JSON.stringify({ reason: "x" }) })).status).toBe(422);
		expect((await act(t.access_token, id, "acknowledge", { headers: json, body: "{" })).status).toBe(400);
		expect((await act(t.access_token, id, "acknowledge", { headers: { "Content-Type": "text/plain" }, body: "hi" })).status).toBe(415);
		expect((await call(`${A}/alerts/${id}/acknowledge`, { method: "POST", headers: { "X-API-Key": t.api_key.key } })).status).toBe(401);
	});

	/** A rule that fires on any event, and one event: the tenant's object opens an alert and mirrors it to D1. */
	async function openAlert(t: Registered): Promise<string> {
		await rule(t, { name: "Any event", condition: { metric: "event_count", operator: "gt", threshold: 0, window_seconds: 60 } });
		expect((await ingest(t, { event_type: "custom", source: "test" })).status).toBe(202);
		let id = "";
		await eventually(async () => {
			const { body } = await as(t.access_token, "GET", "/alerts?status=active");
			id = ((body.alerts as Json[] | undefined)?.[0]?.id as string) ?? "";
			return id !== "";
		});
		return id;
	}

	it("acknowledge, escalate and resolve an open alert (the object decides); a resolved one is a 409", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		const id = await openAlert(t);
		const acked = await act(admin.access_token, id, "acknowledge", { headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: "on it" }) });
		expect(acked.status).toBe(200);
		expect(await acked.json()).toMatchObject({ id, status: "acknowledged", acknowledged_by: admin.email, acknowledged_at: expect.any(String) });
		// A POST with no body and no Content-Type.
		const escalated = await act(admin.access_token, id, "escalate");
		expect(escalated.status).toBe(200);
		expect(await escalated.json()).toMatchObject({ id });
		const resolved = await act(t.access_token, id, "resolve");
		expect(resolved.status).toBe(200);
		expect(await resolved.json()).toMatchObject({ id, status: "resolved", resolved_at: expect.any(String) });
		for (const action of ["acknowledge", "resolve", "escalate"]) {
			const again = await act(t.access_token, id, action);
			expect(again.status, action).toBe(409);
			expect(((await again.json()) as { error: { code: string } }).error.code).toBe("CONFLICT");
		}
		// D1's copy (what GET reads) follows the object shortly after.
		await eventually(async () => {
			const detail = await as(t.access_token, "GET", `/alerts/${id}`);
			const types = (detail.body.timeline as Json[]).map((e) => e.type);
			return detail.body.status === "resolved" && ["triggered", "acknowledged", "escalated", "resolved"].every((x) => types.includes(x));
		});
		const detail = await as(t.access_token, "GET", `/alerts/${id}`);
		const ack = (detail.body.timeline as Json[]).find((e) => e.type === "acknowledged")!;
		expect(ack).toMatchObject({ at: expect.any(String), note: "on it" });
	});
});

describe("notifications", () => {
	it("lists the tenant's notifications newest first, filtered by alert, status and kind, paged by cursor", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const at = Date.parse("2026-11-23T10:00:00.000Z");
		await seedNotification(t.tenant.id, { id: "n-a", alert_id: "al-1", created_at: at, status: "delivered" });
		await seedNotification(t.tenant.id, { id: "n-b", alert_id: "al-1", created_at: at + 1, status: "failed", kind: "resolved" });
		await seedNotification(t.tenant.id, { id: "n-c", alert_id: "al-2", created_at: at + 2, status: "silenced" });
		await seedNotification(t.tenant.id, { id: "n-d", alert_id: null, created_at: at + 3, kind: "test" });
		await seedNotification(other.tenant.id, { id: "n-x", alert_id: "al-1", created_at: at + 4 });

		const all = await as(t.access_token, "GET", "/notifications");
		expect(ids(all.body, "notifications")).toEqual(["n-d", "n-c", "n-b", "n-a"]);
		expect((all.body.notifications as Json[])[0]).toEqual({
			id: "n-d", alert_id: null, channel_id: "ch-1", kind: "test", status: "pending", attempts: 1, last_error: null, created_at: "2026-11-23T10:00:00.003Z", delivered_at: null,
		});
		expect(ids((await as(t.access_token, "GET", "/notifications?alert_id=al-1")).body, "notifications")).toEqual(["n-b", "n-a"]);
		expect(ids((await as(t.access_token, "GET", "/notifications?status=failed")).body, "notifications")).toEqual(["n-b"]);
		expect(ids((await as(t.access_token, "GET", "/notifications?status=silenced")).body, "notifications")).toEqual(["n-c"]);
		expect(ids((await as(t.access_token, "GET", "/notifications?kind=test")).body, "notifications")).toEqual(["n-d"]);
		const page1 = await as(t.access_token, "GET", "/notifications?limit=3");
		expect(ids(page1.body, "notifications")).toEqual(["n-d", "n-c", "n-b"]);
		const page2 = await as(t.access_token, "GET", `/notifications?limit=3&cursor=${page1.body.next_cursor}`);
		expect(ids(page2.body, "notifications")).toEqual(["n-a"]);
		expect(page2.body.next_cursor).toBeNull();
		for (const q of ["status=sent", "kind=page", "limit=501", "cursor=%%%"]) {
			const res = await as(t.access_token, "GET", `/notifications?${q}`);
			expect(res.status, q).toBe(422);
			expect(paths(res.body).length, q).toBeGreaterThan(0);
		}
		const viewer = await addUser(t, "viewer");
		expect((await as(viewer.access_token, "GET", "/notifications")).status).toBe(200);
	});
});
