import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call, errorOf, registerTenant } from "../../helpers";
import { type OperatorTenant, operator, patchAsOperator } from "./operator";

type Page = { tenants: OperatorTenant[]; next_cursor: string | null };

async function page(query: string): Promise<Page> {
	const res = await operator("GET", `/tenants${query}`);
	expect(res.status, await res.clone().text()).toBe(200);
	return res.json();
}

describe("GET /operator/tenants", () => {
	it("pages oldest first with a keyset cursor: every tenant once, in creation order", async () => {
		const mine = [await registerTenant(), await registerTenant(), await registerTenant()];
		const seen: OperatorTenant[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const p = await page(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
			expect(p.tenants.length).toBeLessThanOrEqual(2);
			seen.push(...p.tenants);
			cursor = p.next_cursor;
			pages++;
		} while (cursor && pages < 500);
		expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length);
		const order = seen.map((t) => t.id);
		const positions = mine.map((t) => order.indexOf(t.tenant.id));
		expect(positions.every((p) => p >= 0)).toBe(true);
		expect([...positions].sort((a, b) => a - b)).toEqual(positions);
		const created = seen.map((t) => Date.parse(t.created_at));
		expect([...created].sort((a, b) => a - b)).toEqual(created);
	});

	it("slug filters to that one tenant, with its plan ceilings and no suspension", async () => {
		const t = await registerTenant();
		const p = await page(`?slug=${t.tenant.slug}`);
		expect(p).toEqual({
			tenants: [
				{
					id: t.tenant.id,
					slug: t.tenant.slug,
					name: "Test tenant",
					created_at: expect.any(String),
					suspended: false,
					suspended_at: null,
					rate_limit_per_minute: 10_000,
					retention_days: 30,
					max_rate_limit_per_minute: Number(env.PLAN_MAX_RATE_LIMIT_PER_MINUTE),
					max_retention_days: Number(env.PLAN_MAX_RETENTION_DAYS),
				},
			],
			next_cursor: null,
		});
		expect(p.tenants[0]!.max_rate_limit_per_minute).toBe(100_000);
		expect(p.tenants[0]!.max_retention_days).toBe(90);
		expect(await page("?slug=no-such-tenant-anywhere")).toEqual({ tenants: [], next_cursor: null });
	});

	it("422 for a limit out of range, a slug that cannot be one, and a cursor that is not ours", async () => {
		for (const q of ["?limit=0", "?limit=201", "?limit=abc", "?slug=UPPER", "?cursor=garbage", `?cursor=${btoa("[1,2]")}`]) {
			const res = await operator("GET", `/tenants${q}`);
			expect(res.status, q).toBe(422);
			const error = await errorOf(res);
			expect(error.code).toBe("VALIDATION_ERROR");
			expect(error.details![0]!.path).toBe(q.slice(1, q.indexOf("=")));
		}
	});
});

describe("GET /operator/tenants/{id}", () => {
	it("answers the operator tenant; an unknown id is 404", async () => {
		const t = await registerTenant();
		const res = await operator("GET", `/tenants/${t.tenant.id}`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ id: t.tenant.id, slug: t.tenant.slug, suspended: false, max_retention_days: 90 });
		const missing = await operator("GET", `/tenants/${"0".repeat(32)}`);
		expect(missing.status).toBe(404);
		expect((await errorOf(missing)).code).toBe("NOT_FOUND");
	});
});

describe("PATCH /operator/tenants/{id}", () => {
	it("sets ceilings and values, records who did it in the tenant's audit log", async () => {
		const t = await registerTenant();
		const res = await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 500_000, max_retention_days: 365, retention_days: 200 });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			max_rate_limit_per_minute: 500_000,
			max_retention_days: 365,
			rate_limit_per_minute: 10_000,
			retention_days: 200,
		});
		const audit = await call("/api/v1/audit-log?action=tenant.", { headers: bearer(t.access_token) });
		const { entries } = await audit.json<{ entries: { action: string; actor: { type: string; id: string | null }; details: unknown }[] }>();
		expect(entries).toHaveLength(1);
		expect(entries[0]).toMatchObject({
			action: "tenant.updated",
			actor: { type: "operator", id: null },
			details: {
				before: { max_rate_limit_per_minute: 100_000, max_retention_days: 90, retention_days: 30 },
				after: { max_rate_limit_per_minute: 500_000, max_retention_days: 365, retention_days: 200 },
			},
		});
	});

	it("an empty body (or one repeating what is set) is 200 with the tenant unchanged and no audit entry", async () => {
		const t = await registerTenant();
		const before = await (await operator("GET", `/tenants/${t.tenant.id}`)).json();
		for (const body of [{}, { suspended: false, retention_days: 30, unknown_field: 1 }]) {
			const res = await patchAsOperator(t.tenant.id, body);
			expect(res.status).toBe(200);
			expect(await res.json()).toEqual(before);
		}
		const version = await env.DB.prepare("SELECT settings_version AS v FROM tenants WHERE id = ?").bind(t.tenant.id).first<{ v: number }>();
		expect(version!.v).toBe(1);
		const audit = await (await call("/api/v1/audit-log?action=tenant.", { headers: bearer(t.access_token) })).json<{ entries: unknown[] }>();
		expect(audit.entries).toHaveLength(0);
	});

	it("bad ceilings and values are 422 naming the field: zero, negative, fractional, absurd, strings, null", async () => {
		const t = await registerTenant();
		const bad: Record<string, unknown>[] = [
			{ max_rate_limit_per_minute: 0 },
			{ max_rate_limit_per_minute: -5 },
			{ max_rate_limit_per_minute: 1.5 },
			{ max_rate_limit_per_minute: 10_000_001 },
			{ max_rate_limit_per_minute: 1e308 },
			{ max_rate_limit_per_minute: "100000" },
			{ max_rate_limit_per_minute: null },
			{ max_retention_days: 0 },
			{ max_retention_days: 3651 },
			{ max_retention_days: 7.25 },
			{ max_retention_days: null },
			{ rate_limit_per_minute: 0 },
			{ retention_days: "30" },
			{ suspended: "yes" },
			{ suspended: 1 },
			{ suspended: null },
		];
		for (const body of bad) {
			const res = await patchAsOperator(t.tenant.id, body);
			expect(res.status, JSON.stringify(body)).toBe(422);
			const error = await errorOf(res);
			expect(error.code).toBe("VALIDATION_ERROR");
			// zod may report several problems of one value (1e308: not a safe integer, too big): all name the field.
			expect([...new Set(error.details!.map((d) => d.path))]).toEqual([Object.keys(body)[0]]);
		}
		expect((await patchAsOperator(t.tenant.id, [1, 2])).status).toBe(422);
		const malformed = await patchAsOperator(t.tenant.id, "{");
		expect(malformed.status).toBe(400);
		const noType = await call(`/api/v1/operator/tenants/${t.tenant.id}`, {
			method: "PATCH",
			headers: bearer(env.OPERATOR_TOKEN!),
			body: "{}",
		});
		expect(noType.status).toBe(415);
		// Nothing of it was applied.
		expect(await (await operator("GET", `/tenants/${t.tenant.id}`)).json()).toMatchObject({
			max_rate_limit_per_minute: 100_000,
			max_retention_days: 90,
			rate_limit_per_minute: 10_000,
			retention_days: 30,
			suspended: false,
		});
	});

	it("the largest ceilings are accepted (10,000,000 a minute, 3,650 days)", async () => {
		const t = await registerTenant();
		const res = await patchAsOperator(t.tenant.id, {
			max_rate_limit_per_minute: 10_000_000,
			rate_limit_per_minute: 10_000_000,
			max_retention_days: 3650,
			retention_days: 3650,
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ rate_limit_per_minute: 10_000_000, retention_days: 3650 });
	});

	it("an unknown id is 404 and creates nothing", async () => {
		const id = "e".repeat(32);
		const res = await patchAsOperator(id, { suspended: true });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("NOT_FOUND");
		const rows = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ?").bind(id).first<{ n: number }>();
		expect(rows!.n).toBe(0);
	});
});
