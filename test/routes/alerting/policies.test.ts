import { describe, expect, it } from "vitest";
import { addUser, registerTenant } from "../../helpers";
import { type Json, as, codeOf, created, paths, rule, webhook } from "./alerting-helpers";

const P = "/escalation-policies";

describe("escalation policies", () => {
	it("creates, reads, lists, patches and deletes a policy; repeat defaults to 0", async () => {
		const t = await registerTenant();
		const a = await webhook(t, { name: "A" });
		const b = await webhook(t, { name: "B" });
		const p = await created(t, P, { name: "Night shift", steps: [{ delay_seconds: 0, channel_ids: [a.id] }, { delay_seconds: 600, channel_ids: [a.id, b.id] }] });
		expect(p).toEqual({
			id: expect.any(String),
			name: "Night shift",
			steps: [{ delay_seconds: 0, channel_ids: [a.id] }, { delay_seconds: 600, channel_ids: [a.id, b.id] }],
			repeat: 0,
			created_at: expect.any(String),
			updated_at: expect.any(String),
		});
		expect((await as(t.access_token, "GET", `${P}/${p.id}`)).body).toEqual(p);
		expect((await as(t.access_token, "GET", P)).body).toEqual({ escalation_policies: [p] });

		const patched = await as(t.access_token, "PATCH", `${P}/${p.id}`, { repeat: 2 });
		expect(patched.body).toMatchObject({ name: "Night shift", repeat: 2, steps: p.steps });
		const restepped = await as(t.access_token, "PATCH", `${P}/${p.id}`, { steps: [{ delay_seconds: 30, channel_ids: [b.id] }] });
		expect(restepped.body).toMatchObject({ repeat: 2, steps: [{ delay_seconds: 30, channel_ids: [b.id] }] });

		expect((await as(t.access_token, "DELETE", `${P}/${p.id}`)).status).toBe(204);
		expect((await as(t.access_token, "GET", `${P}/${p.id}`)).status).toBe(404);
		expect((await as(t.access_token, "DELETE", `${P}/${p.id}`)).status).toBe(404);
	});

	it("refuses malformed steps and repeats, naming the field", async () => {
		const t = await registerTenant();
		const ch = await webhook(t);
		const step = (extra: Json = {}) => ({ delay_seconds: 0, channel_ids: [ch.id], ...extra });
		const cases: [unknown, string][] = [
			[{ name: "p", steps: [] }, "steps"],
			[{ name: "p" }, "steps"],
			[{ name: "p", steps: Array.from({ length: 21 }, () => step()) }, "steps"],
			[{ name: "p", steps: [step({ delay_seconds: -1 })] }, "steps.0.delay_seconds"],
			[{ name: "p", steps: [step({ delay_seconds: 1.5 })] }, "steps.0.delay_seconds"],
			[{ name: "p", steps: [step({ delay_seconds: 86_401 })] }, "steps.0.delay_seconds"],
			[{ name: "p", steps: [step({ delay_seconds: "60" })] }, "steps.0.delay_seconds"],
			[{ name: "p", steps: [step(), step({ channel_ids: [] })] }, "steps.1.channel_ids"],
			[{ name: "p", steps: [step({ channel_ids: [ch.id, ch.id] })] }, "steps.0.channel_ids"],
			[{ name: "p", steps: [step({ channel_ids: Array.from({ length: 21 }, (_, i) => `c${i}`) })] }, "steps.0.channel_ids"],
			[{ name: "p", steps: [step({ wait: 1 })] }, "steps.0"],
			[{ name: "p", steps: [step()], repeat: 11 }, "repeat"],
			[{ name: "p", steps: [step()], repeat: -1 }, "repeat"],
			[{ name: "", steps: [step()] }, "name"],
			[{ name: "p", steps: [step()], extra: 1 }, "(body)"],
		];
		for (const [body, path] of cases) {
			const res = await as(t.access_token, "POST", P, body);
			expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(422);
			expect(paths(res.body), JSON.stringify(body).slice(0, 120)).toContain(path);
		}
		const p = await created(t, P, { name: "p", steps: [step()], repeat: 10 });
		expect((await as(t.access_token, "PATCH", `${P}/${p.id}`, { steps: [] })).status).toBe(422);
		expect((await as(t.access_token, "PATCH", `${P}/${p.id}`, { repeat: 11 })).status).toBe(422);
	});

	it("steps name only the tenant's channels (404 naming the step's id), and another tenant's policy is a 404", async () => {
		const a = await registerTenant();
		const b = await registerTenant();
		const mine = await webhook(a);
		const theirs = await webhook(b);
		const res = await as(a.access_token, "POST", P, {
			name: "p",
			steps: [{ delay_seconds: 0, channel_ids: [mine.id] }, { delay_seconds: 60, channel_ids: [mine.id, theirs.id] }],
		});
		expect(res.status).toBe(404);
		expect(codeOf(res.body)).toBe("NOT_FOUND");
		expect(paths(res.body)).toEqual(["steps.1.channel_ids.1"]);
		expect((await as(a.access_token, "GET", P)).body.escalation_policies).toEqual([]);

		const p = await created(a, P, { name: "p", steps: [{ delay_seconds: 0, channel_ids: [mine.id] }] });
		expect((await as(a.access_token, "PATCH", `${P}/${p.id}`, { steps: [{ delay_seconds: 0, channel_ids: ["nope"] }] })).status).toBe(404);
		for (const [method, body] of [["GET", undefined], ["PATCH", { repeat: 1 }], ["DELETE", undefined]] as const) {
			expect((await as(b.access_token, method, `${P}/${p.id}`, body)).status, method).toBe(404);
		}
		expect((await as(b.access_token, "GET", P)).body.escalation_policies).toEqual([]);
	});

	it("a policy a rule escalates through is not deleted (409 naming the rule)", async () => {
		const t = await registerTenant();
		const ch = await webhook(t);
		const p = await created(t, P, { name: "p", steps: [{ delay_seconds: 0, channel_ids: [ch.id] }] });
		const r = await rule(t, { name: "Escalating rule", escalation_policy_id: p.id });
		const refused = await as(t.access_token, "DELETE", `${P}/${p.id}`);
		expect(refused.status).toBe(409);
		expect(codeOf(refused.body)).toBe("CONFLICT");
		expect((refused.body.error as Json).message).toContain('rule "Escalating rule"');
		expect(JSON.stringify(refused.body)).toContain(r.id);
		expect((await as(t.access_token, "PATCH", `/rules/${r.id}`, { escalation_policy_id: null })).status).toBe(200);
		expect((await as(t.access_token, "DELETE", `${P}/${p.id}`)).status).toBe(204);
	});

	it("viewers read policies but cannot write them", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const ch = await webhook(t);
		const body = { name: "p", steps: [{ delay_seconds: 0, channel_ids: [ch.id] }] };
		const p = await created(t, P, body);
		expect((await as(viewer.access_token, "GET", P)).status).toBe(200);
		expect((await as(viewer.access_token, "GET", `${P}/${p.id}`)).status).toBe(200);
		expect((await as(viewer.access_token, "POST", P, body)).status).toBe(403);
		expect((await as(viewer.access_token, "PATCH", `${P}/${p.id}`, { repeat: 1 })).status).toBe(403);
		expect((await as(viewer.access_token, "DELETE", `${P}/${p.id}`)).status).toBe(403);
	});
});
