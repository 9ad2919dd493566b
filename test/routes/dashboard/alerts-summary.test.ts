import { describe, expect, it } from "vitest";
import { type Registered, bearer, call, eventually, ingestBatch, registerTenant, tenantObject } from "../../helpers";
import { evaluateNow, rule, snapshot } from "../../tenant/alerts/fixtures";
import { type Json, dash } from "./rest-helpers";

/** Three rules that all fire on one error: critical, warning and info; their alerts open in that order. */
async function threeAlerts(t: Registered) {
	const stub = tenantObject(t.tenant.id);
	const rules = [
		rule({ metric: "error_count", operator: "gt", threshold: 0 }, { severity: "critical", name: "crit" }),
		rule({ metric: "error_count", operator: "gt", threshold: 0 }, { severity: "warning", name: "warn" }),
		rule({ metric: "event_count", operator: "gt", threshold: 0 }, { severity: "info", name: "note" }),
	];
	await stub.configureAlerting(t.tenant.id, snapshot(1, { rules }));
	await ingestBatch(t, [{ event_type: "error" }]);
	await evaluateNow(stub);
	return { stub, rules };
}

describe("GET /dashboard/alerts/summary", () => {
	it("is zeros and an empty list for a tenant without alerts", async () => {
		const t = await registerTenant();
		const { status, body } = await dash(t, "/alerts/summary");
		expect(status).toBe(200);
		expect(body).toEqual({ active: 0, acknowledged: 0, by_severity: { info: 0, warning: 0, critical: 0 }, recent: [] });
	});

	it("counts open alerts by status and severity from the object at once, and lists the newest in the alerting API's shape", async () => {
		const t = await registerTenant();
		const { stub } = await threeAlerts(t);
		const opened = (await dash(t, "/alerts/summary")).body;
		expect(opened).toMatchObject({ active: 3, acknowledged: 0, by_severity: { info: 1, warning: 1, critical: 1 } });
		const recent = opened.recent as Json[];
		expect(recent.map((a) => a.rule_name)).toEqual(["note", "warn", "crit"]);

		const [note, warn] = recent as { id: string }[];
		const by = { user_id: t.user.id, email: t.user.email };
		expect((await stub.acknowledgeAlert(t.tenant.id, warn!.id, by)).ok).toBe(true);
		expect((await stub.resolveAlert(t.tenant.id, note!.id, by)).ok).toBe(true);
		const after = (await dash(t, "/alerts/summary", "user")).body;
		expect(after).toMatchObject({ active: 1, acknowledged: 1, by_severity: { info: 0, warning: 1, critical: 1 } });
		const statuses = (after.recent as Json[]).map((a) => [a.rule_name, a.status]);
		expect(statuses).toEqual([["note", "resolved"], ["warn", "acknowledged"], ["crit", "active"]]);

		// The very shape GET /alerting/alerts gives, once the object has copied its records to D1.
		let listed: Json[] = [];
		await eventually(async () => {
			const res = await call("/api/v1/alerting/alerts", { headers: bearer(t.access_token) });
			listed = ((await res.json()) as { alerts: Json[] }).alerts;
			return listed.length === 3 && listed.some((a) => a.status === "resolved") && listed.some((a) => a.status === "acknowledged");
		});
		for (const a of after.recent as Json[]) expect(a).toEqual(listed.find((l) => l.id === a.id));

		// The overview counts active alerts only; health counts every open one by severity.
		const overview = (await dash(t, "/overview")).body;
		expect(overview.active_alerts).toBe(1);
		expect(overview.health).toEqual({ status: "critical", reasons: ["1 critical alert open", "1 warning alert open"] });
	});

	it("lists at most the 10 newest", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		const rules = Array.from({ length: 12 }, (_, i) => rule({ metric: "event_count", operator: "gt", threshold: 0 }, { name: `r${i}`, severity: "info" }));
		await stub.configureAlerting(t.tenant.id, snapshot(1, { rules }));
		await ingestBatch(t, [{ event_type: "custom" }]);
		await evaluateNow(stub);
		const { body } = await dash(t, "/alerts/summary");
		expect(body).toMatchObject({ active: 12, by_severity: { info: 12, warning: 0, critical: 0 } });
		expect((body.recent as Json[]).map((a) => a.rule_name)).toEqual(Array.from({ length: 10 }, (_, i) => `r${11 - i}`));
		// Info alerts are notices: the tenant stays healthy.
		expect((await dash(t, "/overview")).body.health).toEqual({ status: "healthy", reasons: [] });
	});
});
