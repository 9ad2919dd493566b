import { describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");

type Registered = { tenant: { id: string; slug: string }; api_key: { key: string }; access_token: string };

function request(method: string, path: string, headers: Record<string, string>, body?: unknown) {
	return fetch(`${base}/api/v1${path}`, {
		method,
		headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
		...(body !== undefined ? { body: JSON.stringify(body) } : {}),
	});
}

describe("the operator API over HTTP against npm run dev", () => {
	it("the printed development token raises a ceiling and suspends and lifts a tenant", async () => {
		// The token as npm run dev prints it: a newcomer copies it from there.
		const printed = /Operator token \(development only\): (\S+)/.exec(inject("devOutput"));
		expect(printed, "npm run dev prints the development operator token").not.toBeNull();
		const operator = { Authorization: `Bearer ${printed![1]}` };

		const slug = `e2e-op-${Date.now().toString(36)}`;
		const email = "owner@example.test";
		const password = "operator e2e password";
		const reg = await request("POST", "/auth/register/tenant", {}, { name: "E2E operator", slug, email, password });
		expect(reg.status).toBe(201);
		const t = (await reg.json()) as Registered;
		const owner = { Authorization: `Bearer ${t.access_token}` };
		const key = { "X-API-Key": t.api_key.key };

		// Found by slug, on the plan defaults.
		const list = await request("GET", `/operator/tenants?slug=${slug}`, operator);
		expect(list.status).toBe(200);
		expect(await list.json()).toMatchObject({
			tenants: [{ id: t.tenant.id, suspended: false, max_rate_limit_per_minute: 100_000, max_retention_days: 90 }],
		});

		// Above the ceiling: 422 naming it. Raised by the operator: then allowed.
		const over = await request("PATCH", "/tenant", owner, { rate_limit_per_minute: 250_000 });
		expect(over.status).toBe(422);
		expect(((await over.json()) as { error: { message: string } }).error.message).toContain("max_rate_limit_per_minute");
		const raised = await request("PATCH", `/operator/tenants/${t.tenant.id}`, operator, { max_rate_limit_per_minute: 500_000 });
		expect(raised.status).toBe(200);
		expect((await request("PATCH", "/tenant", owner, { rate_limit_per_minute: 250_000 })).status).toBe(200);
		const event = { event_type: "custom", source: "e2e-operator" };
		const accepted = await request("POST", "/ingestion/events", key, event);
		expect(accepted.status).toBe(202);
		expect(accepted.headers.get("X-RateLimit-Limit")).toBe("250000");

		// Neither credential crosses over.
		expect((await request("GET", "/tenant", operator)).status).toBe(401);
		expect((await request("GET", "/operator/tenants", owner)).status).toBe(401);
		expect((await request("GET", "/operator/tenants", key)).status).toBe(401);

		// Suspended: 403 for its key and its people; lifted: everything back.
		const suspended = await request("PATCH", `/operator/tenants/${t.tenant.id}`, operator, { suspended: true });
		expect(await suspended.json()).toMatchObject({ suspended: true });
		expect((await request("POST", "/ingestion/events", key, event)).status).toBe(403);
		expect((await request("GET", "/ingestion/stats", key)).status).toBe(403);
		expect((await request("GET", "/tenant", owner)).status).toBe(403);
		expect((await request("POST", "/auth/login", {}, { tenant: slug, email, password })).status).toBe(403);

		const lifted = await request("PATCH", `/operator/tenants/${t.tenant.id}`, operator, { suspended: false });
		expect(await lifted.json()).toMatchObject({ suspended: false, suspended_at: null, rate_limit_per_minute: 250_000 });
		expect((await request("POST", "/ingestion/events", key, event)).status).toBe(202);
		expect((await request("GET", "/tenant", owner)).status).toBe(200);
		expect((await request("POST", "/auth/login", {}, { tenant: slug, email, password })).status).toBe(200);
		const stats = (await (await request("GET", "/ingestion/stats", key)).json()) as { total_events: number };
		expect(stats.total_events).toBe(2);
	});
});
