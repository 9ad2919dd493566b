import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RETENTION_CRON } from "../../src/cron";
import { ALERT_HISTORY_DAYS } from "../../src/cron/alert-history";
import { runCron } from "../helpers";

const DAY = 24 * 3600 * 1000;

describe("alert history housekeeping (hourly cron)", () => {
	it("deletes resolved alerts, timelines and final notifications older than 90 days; keeps open and recent ones", async () => {
		const now = Date.now();
		const old = now - (ALERT_HISTORY_DAYS + 1) * DAY;
		const tenant = `hist-${now}`;
		const alert = (id: string, status: string, at: number) =>
			env.DB.prepare(
				`INSERT INTO alerts (id, tenant_id, rule_id, rule_name, severity, status, metric, value, threshold, labels, triggered_at, resolved_at, escalation_level, updated_at)
				 VALUES (?, ?, 'r', 'rule', 'critical', ?, 'error_rate', 0.5, 0.1, '{}', ?, ?, 0, ?)`,
			).bind(id, tenant, status, at, status === "resolved" ? at : null, at);
		const timeline = (id: string, alertId: string, at: number) =>
			env.DB.prepare("INSERT INTO alert_timeline (id, tenant_id, alert_id, at, seq, type) VALUES (?, ?, ?, ?, 1, 'triggered')").bind(id, tenant, alertId, at);
		const note = (id: string, status: string, at: number) =>
			env.DB.prepare(
				"INSERT INTO notifications (id, tenant_id, alert_id, channel_id, kind, status, attempts, created_at, updated_at) VALUES (?, ?, 'a', 'c', 'triggered', ?, 1, ?, ?)",
			).bind(id, tenant, status, at, at);
		await env.DB.batch([
			alert(`${tenant}-old-resolved`, "resolved", old),
			alert(`${tenant}-old-open`, "active", old),
			alert(`${tenant}-new-resolved`, "resolved", now),
			timeline(`${tenant}-t-old`, `${tenant}-old-resolved`, old),
			timeline(`${tenant}-t-open`, `${tenant}-old-open`, old),
			note(`${tenant}-n-old`, "delivered", old),
			note(`${tenant}-n-pending`, "pending", old),
			note(`${tenant}-n-new`, "failed", now),
		]);
		await runCron(RETENTION_CRON, now);
		const ids = async (table: string) =>
			(await env.DB.prepare(`SELECT id FROM ${table} WHERE tenant_id = ? ORDER BY id`).bind(tenant).all<{ id: string }>()).results.map((r) => r.id);
		expect(await ids("alerts")).toEqual([`${tenant}-new-resolved`, `${tenant}-old-open`]);
		expect(await ids("alert_timeline")).toEqual([`${tenant}-t-open`]);
		expect(await ids("notifications")).toEqual([`${tenant}-n-new`, `${tenant}-n-pending`]);
	});
});
