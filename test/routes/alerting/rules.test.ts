import { describe, expect, it } from "vitest";
import { addUser, registerTenant } from "../../helpers";
import { type Json, alertingVersion, as, codeOf, created, paths, rule, ruleBody, webhook } from "./alerting-helpers";

const cond = (extra: Json = {}) => ({ metric: "error_count", operator: "gt", threshold: 10, window_seconds: 300, ...extra });

describe("alert rules", () => {
	it("creates a rule with every default filled in, and reads it back", async () => {
		const t = await registerTenant();
		const r = await rule(t);
		expect(r).toEqual({
			id: expect.any(String),
			name: "Too many errors",
			description: null,
			enabled: true,
			severity: "critical",
			condition: { metric: "error_count", operator: "gt", threshold: 10, window_seconds: 300, filter: null },
			for_seconds: 0,
			resolve_threshold: null,
			no_data: "ok",
			labels: {},
			runbook_url: null,
			channel_ids: [],
			escalation_policy_id: null,
			cooldown_seconds: 300,
			auto_resolve: true,
			created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			updated_at: expect.any(String),
		});
		expect((await as(t.access_token, "GET", `/rules/${r.id}`)).body).toEqual(r);
		expect((await as(t.access_token, "GET", "/rules")).body).toEqual({ rules: [r] });
	});

	it("keeps every field given: a heartbeat monitor with channels, a policy, labels and hysteresis", async () => {
		const t = await registerTenant();
		const ch = await webhook(t);
		const policy = await created(t, "/escalation-policies", { name: "P", steps: [{ delay_seconds: 60, channel_ids: [ch.id] }] });
		const body = {
			name: "Checkout heartbeat",
			description: "checkout must report every minute",
			enabled: false,
			severity: "warning",
			condition: {
				metric: "event_count",
				operator: "lt",
				threshold: 1,
				window_seconds: 60,
				filter: { source: "checkout", event_type: "api_call", endpoint: "/v1/orders/{id}", method: "POST" },
			},
			for_seconds: 120,
			resolve_threshold: 5,
			no_data: "alerting",
			labels: { team: "payments", tier_1: "yes" },
			runbook_url: "https://runbooks.example.com/checkout",
			channel_ids: [ch.id],
			escalation_policy_id: policy.id,
			cooldown_seconds: 0,
			auto_resolve: false,
		};
		const r = await rule(t, body);
		expect(r).toMatchObject(body);
	});

	it("refuses every invalid field, naming it", async () => {
		const t = await registerTenant();
		const cases: [unknown, string][] = [
			[ruleBody({ condition: cond({ metric: "cpu" }) }), "condition.metric"],
			[ruleBody({ condition: cond({ operator: "eq" }) }), "condition.operator"],
			[ruleBody({ condition: cond({ window_seconds: 59 }) }), "condition.window_seconds"],
			[ruleBody({ condition: cond({ window_seconds: 86_401 }) }), "condition.window_seconds"],
			[ruleBody({ condition: cond({ window_seconds: 60.5 }) }), "condition.window_seconds"],
			[ruleBody({ condition: cond({ threshold: "10" }) }), "condition.threshold"],
			[ruleBody({ condition: cond({ threshold: null }) }), "condition.threshold"],
			[ruleBody({ condition: cond({ threshold: -1 }) }), "condition.threshold"],
			[ruleBody({ condition: cond({ metric: "error_rate", threshold: 1.5 }) }), "condition.threshold"],
			[ruleBody({ condition: cond({ metric: "latency_p95", threshold: -5 }) }), "condition.threshold"],
			[ruleBody({ condition: { metric: "error_count", operator: "gt", window_seconds: 300 } }), "condition.threshold"],
			[ruleBody({ condition: cond({ filter: { region: "eu" } }) }), "condition.filter"],
			[ruleBody({ condition: cond({ filter: { event_type: "click" } }) }), "condition.filter.event_type"],
			[ruleBody({ condition: cond({ filter: { method: "get" } }) }), "condition.filter.method"],
			[ruleBody({ condition: cond({ filter: { source: "s".repeat(129) } }) }), "condition.filter.source"],
			[ruleBody({ condition: cond({ filter: { endpoint: "/".repeat(513) } }) }), "condition.filter.endpoint"],
			[ruleBody({ condition: cond({ extra: true }) }), "condition"],
			[ruleBody({ condition: undefined }), "condition"],
			[ruleBody({ severity: "fatal" }), "severity"],
			[ruleBody({ severity: undefined }), "severity"],
			[ruleBody({ no_data: "maybe" }), "no_data"],
			[ruleBody({ enabled: "yes" }), "enabled"],
			[ruleBody({ for_seconds: -1 }), "for_seconds"],
			[ruleBody({ for_seconds: 86_401 }), "for_seconds"],
			[ruleBody({ cooldown_seconds: 1.5 }), "cooldown_seconds"],
			[ruleBody({ cooldown_seconds: 86_401 }), "cooldown_seconds"],
			[ruleBody({ resolve_threshold: 11 }), "resolve_threshold"],
			[ruleBody({ condition: cond({ operator: "gte" }), resolve_threshold: 10.5 }), "resolve_threshold"],
			[ruleBody({ condition: cond({ operator: "lt" }), resolve_threshold: 9 }), "resolve_threshold"],
			[ruleBody({ condition: cond({ operator: "lte" }), resolve_threshold: 2 }), "resolve_threshold"],
			[ruleBody({ condition: cond({ metric: "error_rate", operator: "lt", threshold: 0.5 }), resolve_threshold: 2 }), "resolve_threshold"],
			[ruleBody({ resolve_threshold: "5" }), "resolve_threshold"],
			[ruleBody({ labels: { "bad-key": "x" } }), "labels.bad-key"],
			[ruleBody({ labels: { "9lives": "x" } }), "labels.9lives"],
			[ruleBody({ labels: { k: "v".repeat(257) } }), "labels.k"],
			[ruleBody({ labels: { k: 5 } }), "labels.k"],
			[ruleBody({ labels: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) }), "labels"],
			[ruleBody({ labels: ["a"] }), "labels"],
			[ruleBody({ runbook_url: "ftp://example.com/x" }), "runbook_url"],
			[ruleBody({ runbook_url: "not a url" }), "runbook_url"],
			[ruleBody({ runbook_url: `https://example.com/${"x".repeat(2048)}` }), "runbook_url"],
			[ruleBody({ channel_ids: ["a", "a"] }), "channel_ids"],
			[ruleBody({ channel_ids: Array.from({ length: 21 }, (_, i) => `c${i}`) }), "channel_ids"],
			[ruleBody({ channel_ids: "abc" }), "channel_ids"],
			[ruleBody({ name: "" }), "name"],
			[ruleBody({ name: "n".repeat(201) }), "name"],
			[ruleBody({ description: "d".repeat(2001) }), "description"],
			[ruleBody({ colour: "red" }), "(body)"],
		];
		for (const [body, path] of cases) {
			const res = await as(t.access_token, "POST", "/rules", body);
			expect(res.status, JSON.stringify(body).slice(0, 160)).toBe(422);
			expect(codeOf(res.body)).toBe("VALIDATION_ERROR");
			expect(paths(res.body), JSON.stringify(body).slice(0, 160)).toContain(path);
		}
		// JSON cannot carry NaN or Infinity: 1e999 parses to Infinity, which is not a finite threshold.
		const huge = await as(t.access_token, "POST", "/rules", JSON.stringify(ruleBody()).replace('"threshold":10', '"threshold":1e999'));
		expect(huge.status).toBe(422);
		expect(paths(huge.body)).toContain("condition.threshold");
		const hugeRt = await as(t.access_token, "POST", "/rules", JSON.stringify(ruleBody({ resolve_threshold: 1 })).replace('"resolve_threshold":1', '"resolve_threshold":-1e999'));
		expect(paths(hugeRt.body)).toContain("resolve_threshold");
		// The right side and the edges pass.
		for (const body of [
			ruleBody({ resolve_threshold: 10 }),
			ruleBody({ condition: cond({ operator: "lt" }), resolve_threshold: 12 }),
			ruleBody({ condition: cond({ metric: "error_rate", threshold: 1 }), resolve_threshold: 0 }),
			ruleBody({ condition: cond({ window_seconds: 60 }) }),
			ruleBody({ condition: cond({ window_seconds: 86_400, filter: {} }) }),
		]) {
			expect((await as(t.access_token, "POST", "/rules", body)).status, JSON.stringify(body)).toBe(201);
		}
	});

	it("channels and policies must be the tenant's: another tenant's or an unknown id is a 404 naming it", async () => {
		const a = await registerTenant();
		const b = await registerTenant();
		const mine = await webhook(a);
		const theirs = await webhook(b);
		const theirPolicy = await created(b, "/escalation-policies", { name: "P", steps: [{ delay_seconds: 0, channel_ids: [theirs.id] }] });

		const foreign = await as(a.access_token, "POST", "/rules", ruleBody({ channel_ids: [mine.id, theirs.id] }));
		expect(foreign.status).toBe(404);
		expect(codeOf(foreign.body)).toBe("NOT_FOUND");
		expect((foreign.body.error as Json).message).toContain(theirs.id);
		expect(paths(foreign.body)).toEqual(["channel_ids.1"]);
		const unknown = await as(a.access_token, "POST", "/rules", ruleBody({ escalation_policy_id: "no-such-policy" }));
		expect(unknown.status).toBe(404);
		expect((unknown.body.error as Json).message).toContain("no-such-policy");
		expect((await as(a.access_token, "POST", "/rules", ruleBody({ escalation_policy_id: theirPolicy.id }))).status).toBe(404);
		expect((await as(a.access_token, "GET", "/rules")).body.rules).toEqual([]);

		const r = await rule(a, { channel_ids: [mine.id] });
		const patched = await as(a.access_token, "PATCH", `/rules/${r.id}`, { channel_ids: [theirs.id] });
		expect(patched.status).toBe(404);
		expect(paths(patched.body)).toEqual(["channel_ids.0"]);
		expect((await as(a.access_token, "PATCH", `/rules/${r.id}`, { escalation_policy_id: theirPolicy.id })).status).toBe(404);
		// And b sees none of a's rules.
		for (const [method, body] of [["GET", undefined], ["PATCH", { name: "x" }], ["DELETE", undefined]] as const) {
			expect((await as(b.access_token, method, `/rules/${r.id}`, body)).status).toBe(404);
		}
		expect((await as(b.access_token, "GET", "/rules")).body.rules).toEqual([]);
	});

	it("PATCH changes any subset, replaces the condition whole and validates the merged rule", async () => {
		const t = await registerTenant();
		const r = await rule(t, { description: "first", resolve_threshold: 5, condition: cond({ filter: { source: "api" } }) });
		const version = await alertingVersion(t.tenant.id);

		const renamed = await as(t.access_token, "PATCH", `/rules/${r.id}`, { name: "Renamed", description: null, labels: { team: "a" } });
		expect(renamed.status).toBe(200);
		expect(renamed.body).toMatchObject({ name: "Renamed", description: null, labels: { team: "a" }, resolve_threshold: 5, severity: "critical" });
		expect(renamed.body.updated_at).not.toBe(r.updated_at);
		expect(renamed.body.created_at).toBe(r.created_at);
		expect(await alertingVersion(t.tenant.id)).toBe(version + 1);

		// The condition is replaced whole: the old filter goes.
		const recond = await as(t.access_token, "PATCH", `/rules/${r.id}`, { condition: cond({ threshold: 20 }) });
		expect(recond.body.condition).toEqual({ metric: "error_count", operator: "gt", threshold: 20, window_seconds: 300, filter: null });

		// resolve_threshold 5 is fine for gt 20, not for lt 20: the merged rule is checked.
		const flipped = await as(t.access_token, "PATCH", `/rules/${r.id}`, { condition: cond({ operator: "lt", threshold: 20 }) });
		expect(flipped.status).toBe(422);
		expect(paths(flipped.body)).toEqual(["resolve_threshold"]);
		const wrongSide = await as(t.access_token, "PATCH", `/rules/${r.id}`, { resolve_threshold: 25 });
		expect(paths(wrongSide.body)).toEqual(["resolve_threshold"]);
		const partialCondition = await as(t.access_token, "PATCH", `/rules/${r.id}`, { condition: { threshold: 3 } });
		expect(partialCondition.status).toBe(422);
		expect((await as(t.access_token, "PATCH", `/rules/${r.id}`, { enabled: null })).status).toBe(422);
		expect((await as(t.access_token, "PATCH", `/rules/${r.id}`, { unknown: 1 })).status).toBe(422);
		// Failed PATCHes changed nothing, and did not bump the version.
		expect(await alertingVersion(t.tenant.id)).toBe(version + 2);
		const cleared = await as(t.access_token, "PATCH", `/rules/${r.id}`, { resolve_threshold: null, enabled: false });
		expect(cleared.body).toMatchObject({ resolve_threshold: null, enabled: false, name: "Renamed" });
		expect((await as(t.access_token, "GET", `/rules/${r.id}`)).body).toEqual(cleared.body);
	});

	it("DELETE removes the rule; the same id is a 404 afterwards", async () => {
		const t = await registerTenant();
		const r = await rule(t);
		expect((await as(t.access_token, "DELETE", `/rules/${r.id}`)).status).toBe(204);
		expect((await as(t.access_token, "GET", `/rules/${r.id}`)).status).toBe(404);
		expect((await as(t.access_token, "DELETE", `/rules/${r.id}`)).status).toBe(404);
		expect((await as(t.access_token, "PATCH", `/rules/${r.id}`, { name: "x" })).status).toBe(404);
	});

	it("viewers read rules but cannot write them", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const r = await rule(t);
		expect((await as(viewer.access_token, "GET", "/rules")).status).toBe(200);
		expect((await as(viewer.access_token, "GET", `/rules/${r.id}`)).status).toBe(200);
		expect((await as(viewer.access_token, "POST", "/rules", ruleBody())).status).toBe(403);
		expect((await as(viewer.access_token, "PATCH", `/rules/${r.id}`, { name: "x" })).status).toBe(403);
		expect((await as(viewer.access_token, "DELETE", `/rules/${r.id}`)).status).toBe(403);
	});

	it("holds at most 200 rules per tenant, exactly, even when creates race", async () => {
		const t = await registerTenant();
		const make = (i: number) => as(t.access_token, "POST", "/rules", ruleBody({ name: `r${i}` }));
		for (let i = 0; i < 190; i += 38) {
			const chunk = await Promise.all(Array.from({ length: 38 }, (_, j) => make(i + j)));
			expect(chunk.every((r) => r.status === 201)).toBe(true);
		}
		// 20 racing creates for the last 10 places: exactly 10 land.
		const race = await Promise.all(Array.from({ length: 20 }, (_, j) => make(190 + j)));
		expect(race.filter((r) => r.status === 201)).toHaveLength(10);
		const refused = race.filter((r) => r.status !== 201);
		expect(refused.every((r) => r.status === 422 && codeOf(r.body) === "VALIDATION_ERROR")).toBe(true);
		expect((refused[0]!.body.error as Json).message).toContain("at most 200");
		const { body } = await as(t.access_token, "GET", "/rules");
		expect((body.rules as unknown[]).length).toBe(200);
		const again = await make(999);
		expect(again.status).toBe(422);
		// Deleting one makes room again.
		expect((await as(t.access_token, "DELETE", `/rules/${(body.rules as { id: string }[])[0]!.id}`)).status).toBe(204);
		expect((await make(1000)).status).toBe(201);
	}, 60_000);
});
