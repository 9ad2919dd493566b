import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call, errorOf, fetchWith, inFreshWindow, ingest, keyHeader, patchTenant, registerTenant } from "../../helpers";
import { type OperatorTenant, operator, patchAsOperator } from "./operator";

const event = { event_type: "custom", source: "ceilings" };

async function stats(t: Awaited<ReturnType<typeof registerTenant>>) {
	return (await call("/api/v1/ingestion/stats", { headers: keyHeader(t) })).json<{ rate_limit_per_minute: number; total_events: number }>();
}

async function operatorView(id: string): Promise<OperatorTenant> {
	return (await operator("GET", `/tenants/${id}`)).json();
}

describe("plan ceilings on PATCH /tenant", () => {
	it("a value above its ceiling is 422 naming the field and the ceiling; at the ceiling is fine", async () => {
		const t = await registerTenant();
		const over = await patchTenant(t, { rate_limit_per_minute: 100_001 });
		expect(over.status).toBe(422);
		const error = await errorOf(over);
		expect(error.code).toBe("VALIDATION_ERROR");
		expect(error.details).toEqual([{ path: "rate_limit_per_minute", message: expect.stringContaining("100000") }]);
		expect(error.message).toContain("max_rate_limit_per_minute");
		expect(error.message).toContain("100,000");

		const both = await errorOf(await patchTenant(t, { rate_limit_per_minute: 10_000_000, retention_days: 3650, name: "x" }));
		expect(both.details!.map((d) => d.path)).toEqual(["rate_limit_per_minute", "retention_days"]);
		expect(both.message).toContain("max_retention_days of 90 days");
		// Refused as a whole: the name did not change either.
		expect(await (await call("/api/v1/tenant", { headers: bearer(t.access_token) })).json()).toMatchObject({
			name: "Test tenant",
			rate_limit_per_minute: 10_000,
			retention_days: 30,
		});

		const at = await patchTenant(t, { rate_limit_per_minute: 100_000, retention_days: 90 });
		expect(at.status).toBe(200);
		expect(await at.json()).toMatchObject({ rate_limit_per_minute: 100_000, retention_days: 90 });
	});

	it("an operator raises the ceiling, and the tenant may then go up to the new one", async () => {
		const t = await registerTenant();
		expect((await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 500_000, max_retention_days: 400 })).status).toBe(200);
		expect((await patchTenant(t, { rate_limit_per_minute: 500_000, retention_days: 400 })).status).toBe(200);
		const over = await errorOf(await patchTenant(t, { retention_days: 401 }));
		expect(over.message).toContain("max_retention_days of 400 days");
		expect((await stats(t)).rate_limit_per_minute).toBe(500_000);
	});

	it("with the variable lowered, tenants left on the plan default follow it; those with their own ceiling keep it", async () => {
		const plain = await registerTenant();
		const own = await registerTenant();
		expect((await patchAsOperator(own.tenant.id, { max_rate_limit_per_minute: 100_000 })).status).toBe(200);
		const lowered = { PLAN_MAX_RATE_LIMIT_PER_MINUTE: "5000" };
		const send = (t: typeof plain, body: unknown) =>
			fetchWith(lowered, "/api/v1/tenant", {
				method: "PATCH",
				headers: { "Content-Type": "application/json", ...bearer(t.access_token) },
				body: JSON.stringify(body),
			});
		const refused = await send(plain, { rate_limit_per_minute: 6000 });
		expect(refused.status).toBe(422);
		expect((await errorOf(refused)).message).toContain("5,000");
		// A value already above the new default is kept (nothing changes by itself), and other changes still work.
		expect((await send(plain, { name: "Still fine", rate_limit_per_minute: 10_000 })).status).toBe(200);
		expect((await send(own, { rate_limit_per_minute: 60_000 })).status).toBe(200);
		const view = await fetchWith(lowered, `/api/v1/operator/tenants/${plain.tenant.id}`, { headers: bearer(env.OPERATOR_TOKEN!) });
		expect(await view.json()).toMatchObject({ max_rate_limit_per_minute: 5000, rate_limit_per_minute: 10_000 });
	});

	it("a plan variable that is not a number is a clear 500, never a guessed default", async () => {
		const t = await registerTenant();
		for (const bad of ["", "lots", "0", "20000000", "1.5"]) {
			const res = await fetchWith({ PLAN_MAX_RETENTION_DAYS: bad }, "/api/v1/tenant", {
				method: "PATCH",
				headers: { "Content-Type": "application/json", ...bearer(t.access_token) },
				body: JSON.stringify({ retention_days: 10 }),
			});
			expect(res.status, bad).toBe(500);
			expect((await errorOf(res)).message).toContain("PLAN_MAX_RETENTION_DAYS");
		}
	});
});

describe("ceilings changed by an operator", () => {
	it("lowering a ceiling below the tenant's value lowers the value (D1, the object and the views)", async () => {
		const t = await registerTenant();
		expect((await patchTenant(t, { rate_limit_per_minute: 50_000, retention_days: 60 })).status).toBe(200);
		const res = await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 20_000, max_retention_days: 14 });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			max_rate_limit_per_minute: 20_000,
			rate_limit_per_minute: 20_000,
			max_retention_days: 14,
			retention_days: 14,
		});
		expect(await (await call("/api/v1/tenant", { headers: bearer(t.access_token) })).json()).toMatchObject({
			rate_limit_per_minute: 20_000,
			retention_days: 14,
		});
		expect((await stats(t)).rate_limit_per_minute).toBe(20_000);
		// Raising a ceiling again does not raise the value: the tenant chooses it.
		await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 90_000 });
		expect((await operatorView(t.tenant.id)).rate_limit_per_minute).toBe(20_000);
	});

	it("a value above the ceiling the same PATCH leaves is 422, and nothing of that PATCH applies", async () => {
		const t = await registerTenant();
		const sameBody = await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 1000, rate_limit_per_minute: 2000, suspended: true });
		expect(sameBody.status).toBe(422);
		const error = await errorOf(sameBody);
		expect(error.details).toEqual([{ path: "rate_limit_per_minute", message: expect.stringContaining("1000") }]);
		expect(error.message).toContain("1,000");
		const current = await errorOf(await patchAsOperator(t.tenant.id, { retention_days: 91 }));
		expect(current.details![0]!.path).toBe("retention_days");
		expect(current.message).toContain("max_retention_days of 90 days");
		expect(await operatorView(t.tenant.id)).toMatchObject({
			max_rate_limit_per_minute: 100_000,
			rate_limit_per_minute: 10_000,
			retention_days: 30,
			suspended: false,
		});
	});

	it("the next ingestion request sees the new limit, down and up", async () => {
		await inFreshWindow();
		const t = await registerTenant();
		expect((await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 3 })).status).toBe(200);
		for (let i = 0; i < 3; i++) expect((await ingest(t, event)).status).toBe(202);
		const limited = await ingest(t, event);
		expect(limited.status).toBe(429);
		expect(limited.headers.get("X-RateLimit-Limit")).toBe("3");
		expect((await errorOf(limited)).code).toBe("RATE_LIMITED");

		expect((await patchAsOperator(t.tenant.id, { max_rate_limit_per_minute: 5, rate_limit_per_minute: 5 })).status).toBe(200);
		const next = await ingest(t, event);
		expect(next.status).toBe(202);
		expect(next.headers.get("X-RateLimit-Limit")).toBe("5");
		expect(next.headers.get("X-RateLimit-Remaining")).toBe("1");
	});
});
