import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newResetToken } from "../../../src/auth/password-reset";
import { enforceRetention } from "../../../src/cron/retention";
import { generateApiKey } from "../../../src/lib/api-key";
import {
	addUser,
	bearer,
	call,
	countEvents,
	errorOf,
	flush,
	ingest,
	ingestBatch,
	keyHeader,
	login,
	PASSWORD,
	postJson,
	registerTenant,
} from "../../helpers";
import { evaluateNow, objectRows } from "../../tenant/alerts/fixtures";
import { rule } from "../alerting/alerting-helpers";
import { openSocket, upgrade } from "../dashboard/socket-client";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import { type OperatorTenant, patchAsOperator } from "./operator";

const event = (i: number) => ({ event_id: `before-${i}`, event_type: "custom", source: "suspension" });

async function expectForbidden(res: Response, what: string) {
	expect(res.status, what).toBe(403);
	expect((await errorOf(res)).code, what).toBe("FORBIDDEN");
}

describe("suspension", () => {
	it("refuses every credential of the tenant with 403, deletes nothing, and lifts cleanly", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const viewer = await addUser(t, "viewer");
		for (let i = 0; i < 3; i++) expect((await ingest(t, event(i))).status).toBe(202);
		await flush(t.tenant.id);
		const socket = await openSocket(t);

		const res = await patchAsOperator(t.tenant.id, { suspended: true });
		expect(res.status).toBe(200);
		const suspended = await res.json<OperatorTenant>();
		expect(suspended.suspended).toBe(true);
		expect(Date.parse(suspended.suspended_at!)).toBeGreaterThan(Date.now() - 10_000);
		// Suspending again keeps the time the suspension began.
		const again = await (await patchAsOperator(t.tenant.id, { suspended: true })).json<OperatorTenant>();
		expect(again.suspended_at).toBe(suspended.suspended_at);

		// The open dashboard socket is closed; a new one is refused.
		expect(await socket.closed).toEqual({ code: 4003, reason: "tenant suspended" });
		await expectForbidden(await upgrade(t.tenant.id, t.access_token), "socket upgrade");

		// Keys: ingestion and reads.
		await expectForbidden(await ingest(t, { event_type: "custom" }), "ingest");
		await expectForbidden(await ingestBatch(t, [{ event_type: "custom" }]), "batch");
		for (const path of ["/ingestion/events/search", "/ingestion/stats", "/ingestion/events/before-0", "/dashboard/overview"]) {
			await expectForbidden(await call(`/api/v1${path}`, { headers: keyHeader(t) }), `key ${path}`);
		}
		// A key that is not the tenant's is still a 401, suspended or not.
		// (Tagged by this deployment, so it passes the edge and the object itself says it is not the tenant's.)
		const forged = { "X-API-Key": (await generateApiKey(env, t.tenant.id)).key };
		expect((await call("/api/v1/ingestion/stats", { headers: forged })).status).toBe(401);

		// Users: existing tokens on every kind of route, sign-in, refresh.
		for (const path of ["/tenant", "/auth/profile", "/ingestion/events/search", "/api-keys", "/audit-log"]) {
			await expectForbidden(await call(`/api/v1${path}`, { headers: bearer(t.access_token) }), `user ${path}`);
		}
		await expectForbidden(await call("/api/v1/dashboard/overview", { headers: bearer(viewer.access_token) }), "viewer");
		// Right password: 403, however often (the failure run is cleared, so it never locks the account).
		for (let i = 0; i < 6; i++) await expectForbidden(await login(t, t.user.email), `login ${i}`);
		// A wrong password says nothing of the suspension.
		expect((await login(t, t.user.email, "wrong password!")).status).toBe(401);
		await expectForbidden(await postJson("/api/v1/auth/refresh", { refresh_token: viewer.refresh_token }), "refresh");
		// A reset request answers 202 as always, and sends nothing.
		expect((await postJson("/api/v1/auth/password-reset/request", { tenant: t.tenant.slug, email: t.user.email })).status).toBe(202);

		// Other tenants are untouched.
		expect((await ingest(other, { event_type: "custom" })).status).toBe(202);
		expect((await call("/api/v1/tenant", { headers: bearer(other.access_token) })).status).toBe(200);

		// Nothing deleted while suspended, not even by retention far in the future.
		expect(await countEvents(t.tenant.id)).toBe(3);
		await enforceRetention(env, { now: Date.now() + 400 * 24 * 60 * 60 * 1000 });
		expect(await countEvents(t.tenant.id)).toBe(3);
		const resets = await env.DB.prepare("SELECT count(*) AS n FROM password_resets WHERE tenant_id = ?").bind(t.tenant.id).first<{ n: number }>();
		expect(resets!.n).toBe(0);

		// Lifted: the same key, the same access token and the same (unrotated) refresh token work again.
		const lifted = await (await patchAsOperator(t.tenant.id, { suspended: false })).json<OperatorTenant>();
		expect(lifted).toMatchObject({ suspended: false, suspended_at: null });
		expect((await ingest(t, event(3))).status).toBe(202);
		expect((await ingest(t, event(0))).status).toBe(200); // still known: a duplicate
		expect((await call("/api/v1/tenant", { headers: bearer(t.access_token) })).status).toBe(200);
		expect((await postJson("/api/v1/auth/refresh", { refresh_token: viewer.refresh_token })).status).toBe(200);
		expect((await login(t, t.user.email, PASSWORD)).status).toBe(200);
		const stats = await (await call("/api/v1/ingestion/stats", { headers: keyHeader(t) })).json<{ total_events: number; duplicates: number }>();
		expect(stats).toMatchObject({ total_events: 4, duplicates: 1 });
		await flush(t.tenant.id);
		const search = await (await call("/api/v1/ingestion/events/search", { headers: keyHeader(t) })).json<{ events: { event_id: string }[] }>();
		expect(search.events.map((e) => e.event_id).sort()).toEqual(["before-0", "before-1", "before-2", "before-3"]);
		const reopened = await openSocket(t);
		reopened.ws.close(1000, "done");

		// Both steps are in the tenant's audit log, by the operator.
		const audit = await (await call("/api/v1/audit-log?action=tenant.", { headers: bearer(t.access_token) })).json<{
			entries: { action: string; actor: { type: string } }[];
		}>();
		expect(audit.entries.map((e) => [e.action, e.actor.type])).toEqual([
			["tenant.unsuspended", "operator"],
			["tenant.suspended", "operator"],
		]);
	});

	it("a reset link issued before the suspension is refused (and kept) during it; a reused refresh token still ends its family", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		// An older refresh token of the admin's session: presenting it again is reuse.
		const rotated = await postJson("/api/v1/auth/refresh", { refresh_token: admin.refresh_token });
		expect(rotated.status).toBe(200);
		const { token, row } = await newResetToken({ id: t.user.id, tenantId: t.tenant.id }, Date.now());
		await env.DB.prepare("INSERT INTO password_resets (token_hash, tenant_id, user_id, expires_at) VALUES (?, ?, ?, ?)")
			.bind(row.tokenHash, row.tenantId, row.userId, row.expiresAt)
			.run();
		expect((await patchAsOperator(t.tenant.id, { suspended: true })).status).toBe(200);

		const confirm = () => postJson("/api/v1/auth/password-reset/confirm", { token, new_password: "a brand new password" });
		await expectForbidden(await confirm(), "reset confirm");
		const used = await env.DB.prepare("SELECT used_at FROM password_resets WHERE token_hash = ?").bind(row.tokenHash).first<{ used_at: number | null }>();
		expect(used!.used_at).toBeNull();
		// A made-up token is still a 401, suspended or not.
		expect((await postJson("/api/v1/auth/password-reset/confirm", { token: "x".repeat(43), new_password: "a brand new password" })).status).toBe(401);

		// Reuse is reuse, suspended or not: 401, and the family (the current token too) is revoked.
		expect((await postJson("/api/v1/auth/refresh", { refresh_token: admin.refresh_token })).status).toBe(401);
		const current = (await rotated.json<{ refresh_token: string }>()).refresh_token;
		expect((await postJson("/api/v1/auth/refresh", { refresh_token: current })).status).toBe(401);

		expect((await patchAsOperator(t.tenant.id, { suspended: false })).status).toBe(200);
		expect((await confirm()).status).toBe(204);
		expect((await login(t, t.user.email, "a brand new password")).status).toBe(200);
		expect((await postJson("/api/v1/auth/refresh", { refresh_token: current })).status).toBe(401);
	});

	it("the tenant object answers a suspended tenant's key without asking D1", async () => {
		const t = await registerTenant();
		expect((await patchAsOperator(t.tenant.id, { suspended: true })).status).toBe(200);
		// D1 made unreachable for the object: the answer must come from its own copy of the settings.
		const stub = env.TENANT.getByName(t.tenant.id);
		await runInDurableObject(stub, (instance) => {
			(instance as unknown as { env: Env }).env = { ...env, DB: undefined as never };
		});
		await expectForbidden(await ingest(t, { event_type: "custom" }), "ingest with D1 away");
		await runInDurableObject(stub, (instance) => {
			(instance as unknown as { env: Env }).env = env;
		});
	});

	it("alerting sleeps while suspended (no evaluation, no alert) and catches up once lifted", async () => {
		const t = await registerTenant();
		const stub = env.TENANT.getByName(t.tenant.id);
		// A breach must hold 60 s before its alert opens: it begins before the suspension and comes due during it.
		await rule(t, { condition: { metric: "error_count", operator: "gt", threshold: 2, window_seconds: 300 }, for_seconds: 60 });
		const errors = Array.from({ length: 5 }, () => ({ event_type: "api_call", status_code: 503, response_time_ms: 20 }));
		expect((await ingestBatch(t, errors)).status).toBe(200);
		await evaluateNow(stub);
		expect(await objectRows(stub, "SELECT id FROM alerts")).toHaveLength(0);
		expect((await patchAsOperator(t.tenant.id, { suspended: true })).status).toBe(200);

		await runInDurableObject(stub, (instance: TenantObject) => {
			const i = instance as unknown as { now: () => number; evaluatedAt: number; scheduler: { at(job: string, at: number): void } };
			const prev = i.now;
			i.now = () => prev() + 75_000;
			i.evaluatedAt = 0;
			i.scheduler.at("rules", Date.now());
		});
		await runDurableObjectAlarm(stub);
		expect(await runInDurableObject(stub, (i: TenantObject) => (i as unknown as { evaluatedAt: number }).evaluatedAt)).toBe(0);
		expect(await objectRows(stub, "SELECT id FROM alerts")).toHaveLength(0);
		expect(await stub.tick(t.tenant.id, Date.now())).toBe(0);

		expect((await patchAsOperator(t.tenant.id, { suspended: false })).status).toBe(200);
		await evaluateNow(stub);
		expect(await objectRows(stub, "SELECT id FROM alerts")).toHaveLength(1);
	});
});
