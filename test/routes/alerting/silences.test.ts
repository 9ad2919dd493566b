import { describe, expect, it } from "vitest";
import { addUser, registerTenant } from "../../helpers";
import { type Json, as, codeOf, created, paths, rule, tick } from "./alerting-helpers";

const S = "/silences";
const HOUR = 3_600_000;

describe("silences", () => {
	it("silences a rule or labels for a while: times as ISO (any offset) or epoch ms, shown in UTC, with its author", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		const r = await rule(t);
		const start = Date.now() - 60_000;
		const end = start + 2 * HOUR;
		const byRule = await as(admin.access_token, "POST", S, { rule_id: r.id, starts_at: start, ends_at: end, comment: "deploying" });
		expect(byRule.status).toBe(201);
		expect(byRule.body).toEqual({
			id: expect.any(String),
			rule_id: r.id,
			labels: {},
			starts_at: new Date(start).toISOString(),
			ends_at: new Date(end).toISOString(),
			comment: "deploying",
			active: true,
			created_by: admin.email,
			created_at: expect.any(String),
			updated_at: expect.any(String),
		});

		await tick();
		const later = new Date(Date.now() + 24 * HOUR);
		const offset = `${later.toISOString().slice(0, 10)}T12:00:00+05:00`;
		const byLabels = await as(t.access_token, "POST", S, { labels: { team: "payments" }, starts_at: offset, ends_at: later.getTime() + 24 * HOUR, comment: "maintenance window" });
		expect(byLabels.status).toBe(201);
		expect(byLabels.body).toMatchObject({ rule_id: null, labels: { team: "payments" }, active: false, created_by: t.user.email });
		expect(byLabels.body.starts_at).toBe(new Date(offset).toISOString());
		expect(byLabels.body.starts_at).toMatch(/T07:00:00\.000Z$/);

		await tick();
		// starts_at defaults to now.
		const now = await as(t.access_token, "POST", S, { labels: { a: "b" }, ends_at: new Date(Date.now() + HOUR).toISOString(), comment: "c" });
		expect(now.status).toBe(201);
		expect(now.body.active).toBe(true);

		expect((await as(t.access_token, "GET", `${S}/${byRule.body.id}`)).body).toEqual(byRule.body);
		const all = await as(t.access_token, "GET", S);
		expect((all.body.silences as Json[]).map((s) => s.id)).toEqual([now.body.id, byLabels.body.id, byRule.body.id]);
		expect(all.body.next_cursor).toBeNull();
		const active = await as(t.access_token, "GET", `${S}?active=true`);
		expect((active.body.silences as Json[]).map((s) => s.id)).toEqual([now.body.id, byRule.body.id]);
		const inactive = await as(t.access_token, "GET", `${S}?active=false`);
		expect((inactive.body.silences as Json[]).map((s) => s.id)).toEqual([byLabels.body.id]);
		const forRule = await as(t.access_token, "GET", `${S}?rule_id=${r.id}`);
		expect((forRule.body.silences as Json[]).map((s) => s.id)).toEqual([byRule.body.id]);

		const page1 = await as(t.access_token, "GET", `${S}?limit=2`);
		expect((page1.body.silences as Json[]).length).toBe(2);
		const page2 = await as(t.access_token, "GET", `${S}?limit=2&cursor=${page1.body.next_cursor}`);
		expect((page2.body.silences as Json[]).map((s) => s.id)).toEqual([byRule.body.id]);
		expect(page2.body.next_cursor).toBeNull();
	});

	it("refuses silences that match nothing, end before they start or are over already, and bad times or comments", async () => {
		const t = await registerTenant();
		const soon = Date.now() + HOUR;
		const cases: [unknown, string][] = [
			[{ ends_at: soon, comment: "c" }, "labels"],
			[{ labels: {}, ends_at: soon, comment: "c" }, "labels"],
			[{ rule_id: null, labels: null, ends_at: soon, comment: "c" }, "labels"],
			[{ labels: { a: "b" }, starts_at: soon, ends_at: soon, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, starts_at: soon, ends_at: soon - 1, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, starts_at: Date.now() - 2 * HOUR, ends_at: Date.now() - HOUR, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, ends_at: "tomorrow", comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, ends_at: -5, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, ends_at: true, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, comment: "c" }, "ends_at"],
			[{ labels: { a: "b" }, ends_at: soon }, "comment"],
			[{ labels: { a: "b" }, ends_at: soon, comment: "  " }, "comment"],
			[{ labels: { a: "b" }, ends_at: soon, comment: "c".repeat(1001) }, "comment"],
			[{ labels: { "bad key": "b" }, ends_at: soon, comment: "c" }, "labels.bad key"],
			[{ labels: { a: "b" }, ends_at: soon, comment: "c", matchers: [] }, "(body)"],
		];
		for (const [body, path] of cases) {
			const res = await as(t.access_token, "POST", S, body);
			expect(res.status, JSON.stringify(body)).toBe(422);
			expect(codeOf(res.body)).toBe("VALIDATION_ERROR");
			expect(paths(res.body), JSON.stringify(body)).toContain(path);
		}
		expect((await as(t.access_token, "GET", `${S}?active=maybe`)).status).toBe(422);
		expect((await as(t.access_token, "GET", `${S}?limit=0`)).status).toBe(422);
		expect((await as(t.access_token, "GET", `${S}?cursor=garbage`)).status).toBe(422);
		expect((await as(t.access_token, "GET", S)).body.silences).toEqual([]);
	});

	it("rule_id must be a rule of the tenant (404)", async () => {
		const a = await registerTenant();
		const b = await registerTenant();
		const theirs = await rule(b);
		const body = { rule_id: theirs.id, ends_at: Date.now() + HOUR, comment: "c" };
		const res = await as(a.access_token, "POST", S, body);
		expect(res.status).toBe(404);
		expect(paths(res.body)).toEqual(["rule_id"]);
		expect((await as(a.access_token, "POST", S, { ...body, rule_id: "nope" })).status).toBe(404);
		const s = await created(a, S, { labels: { a: "b" }, ends_at: Date.now() + HOUR, comment: "c" });
		expect((await as(a.access_token, "PATCH", `${S}/${s.id}`, { rule_id: theirs.id })).status).toBe(404);
		for (const [method, patch] of [["GET", undefined], ["PATCH", { comment: "x" }], ["DELETE", undefined]] as const) {
			expect((await as(b.access_token, method, `${S}/${s.id}`, patch)).status, method).toBe(404);
		}
	});

	it("PATCH extends, shortens or rewords a silence and revalidates it whole; DELETE lifts it", async () => {
		const t = await registerTenant();
		const r = await rule(t);
		const s = await created(t, S, { rule_id: r.id, ends_at: Date.now() + HOUR, comment: "first" });
		const longer = new Date(Date.now() + 5 * HOUR).toISOString();
		const extended = await as(t.access_token, "PATCH", `${S}/${s.id}`, { ends_at: longer, comment: "longer" });
		expect(extended.status).toBe(200);
		expect(extended.body).toMatchObject({ ends_at: longer, comment: "longer", rule_id: r.id, starts_at: s.starts_at });

		const nothing = await as(t.access_token, "PATCH", `${S}/${s.id}`, { rule_id: null });
		expect(nothing.status).toBe(422);
		expect(paths(nothing.body)).toEqual(["labels"]);
		expect((await as(t.access_token, "PATCH", `${S}/${s.id}`, { rule_id: null, labels: { env: "prod" } })).body).toMatchObject({ rule_id: null, labels: { env: "prod" } });
		expect((await as(t.access_token, "PATCH", `${S}/${s.id}`, { starts_at: Date.now() + 10 * HOUR })).status).toBe(422);
		expect((await as(t.access_token, "PATCH", `${S}/${s.id}`, { ends_at: Date.now() - 1000 })).status).toBe(422);

		expect((await as(t.access_token, "DELETE", `${S}/${s.id}`)).status).toBe(204);
		expect((await as(t.access_token, "GET", `${S}/${s.id}`)).status).toBe(404);
		expect((await as(t.access_token, "DELETE", `${S}/${s.id}`)).status).toBe(404);
	});

	it("viewers read silences but cannot write them", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const body = { labels: { a: "b" }, ends_at: Date.now() + HOUR, comment: "c" };
		const s = await created(t, S, body);
		expect((await as(viewer.access_token, "GET", S)).status).toBe(200);
		expect((await as(viewer.access_token, "GET", `${S}/${s.id}`)).status).toBe(200);
		expect((await as(viewer.access_token, "POST", S, body)).status).toBe(403);
		expect((await as(viewer.access_token, "PATCH", `${S}/${s.id}`, { comment: "x" })).status).toBe(403);
		expect((await as(viewer.access_token, "DELETE", `${S}/${s.id}`)).status).toBe(403);
	});
});
