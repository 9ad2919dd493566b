import { describe, expect, it } from "vitest";
import { call, bearer, registerTenant } from "../../helpers";
import { as, created, ruleBody, webhookBody } from "./alerting-helpers";

type Entry = { action: string; target: { type: string; id: string } | null; actor: { email: string | null } };

async function auditOf(token: string, prefix: string): Promise<Entry[]> {
	const res = await call(`/api/v1/audit-log?action=${prefix}`, { headers: bearer(token) });
	expect(res.status).toBe(200);
	return ((await res.json()) as { entries: Entry[] }).entries;
}

describe("alerting configuration changes are audited", () => {
	it("create, update and delete write one entry each, with the actor and the target; a refused write none", async () => {
		const t = await registerTenant();
		const channel = await created(t, "/channels", webhookBody());
		const rule = await created(t, "/rules", ruleBody({ channel_ids: [channel.id] }));
		expect((await as(t.access_token, "PATCH", `/rules/${rule.id}`, { name: "renamed" })).status).toBe(200);
		expect((await as(t.access_token, "DELETE", `/channels/${channel.id}`)).status).toBe(409);
		expect((await as(t.access_token, "DELETE", `/rules/${rule.id}`)).status).toBe(204);
		expect((await as(t.access_token, "POST", "/rules", ruleBody({ channel_ids: ["not-a-channel"] }))).status).toBe(404);
		const rules = await auditOf(t.access_token, "alert_rule.");
		expect(rules.map((e) => e.action)).toEqual(["alert_rule.deleted", "alert_rule.updated", "alert_rule.created"]);
		expect(rules.every((e) => e.target?.id === rule.id && e.target.type === "alert_rule" && e.actor.email === t.user.email)).toBe(true);
		expect((await auditOf(t.access_token, "alert_channel.")).map((e) => e.action)).toEqual(["alert_channel.created"]);
	});
});
