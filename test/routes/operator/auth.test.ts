import { describe, expect, it } from "vitest";
import { bearer, call, errorOf, fetchWith, ingest, keyHeader, registerTenant } from "../../helpers";
import { OPERATOR, operator } from "./operator";

async function expectUnauthorized(res: Response, what: string) {
	expect(res.status, what).toBe(401);
	expect((await errorOf(res)).code, what).toBe("UNAUTHORIZED");
}

describe("the operator token and tenant credentials never cross", () => {
	it("the operator token is refused on tenant routes, as a bearer token and as an API key", async () => {
		const t = await registerTenant();
		for (const path of ["/tenant", "/auth/profile", "/ingestion/stats", "/ingestion/events/search", "/api-keys", "/dashboard/overview"]) {
			await expectUnauthorized(await call(`/api/v1${path}`, { headers: bearer(OPERATOR()) }), `bearer ${path}`);
			await expectUnauthorized(await call(`/api/v1${path}`, { headers: { "X-API-Key": OPERATOR() } }), `key ${path}`);
		}
		await expectUnauthorized(await ingest({ ...t, api_key: { ...t.api_key, key: OPERATOR() } }, { event_type: "custom" }), "ingest");
		const socket = await call(`/api/v1/dashboard/ws/${t.tenant.id}?token=${encodeURIComponent(OPERATOR())}`, { headers: { Upgrade: "websocket" } });
		await expectUnauthorized(socket, "socket");
	});

	it("no tenant credential opens an operator route: owner token, API key, refresh token", async () => {
		const t = await registerTenant();
		const routes: [string, string, unknown?][] = [
			["GET", "/tenants"],
			["GET", `/tenants/${t.tenant.id}`],
			["PATCH", `/tenants/${t.tenant.id}`, { max_rate_limit_per_minute: 10_000_000 }],
		];
		for (const [method, path, body] of routes) {
			for (const [name, headers] of [
				["owner access token", bearer(t.access_token)],
				["refresh token", bearer(t.refresh_token)],
				["API key", keyHeader(t)],
				["API key as bearer", bearer(t.api_key.key)],
			] as const) {
				await expectUnauthorized(await operator(method, path, body, { ...headers }), `${name} ${method} ${path}`);
			}
		}
		// Nothing changed.
		expect(await (await operator("GET", `/tenants/${t.tenant.id}`)).json()).toMatchObject({ max_rate_limit_per_minute: 100_000 });
	});

	it("a wrong, truncated, padded or missing operator token is 401", async () => {
		const token = OPERATOR();
		const cases: Record<string, string>[] = [
			{},
			bearer("wrong-operator-token-that-is-long-enough-0123456789"),
			bearer(token.slice(0, -1)),
			bearer(`${token}x`),
			bearer(token.toUpperCase()),
			{ Authorization: token },
			{ Authorization: `Basic ${btoa(`operator:${token}`)}` },
			{ Authorization: `Bearer ${token} ${token}` },
			{ Authorization: "Bearer " },
			{ "X-API-Key": token },
		];
		for (const headers of cases) await expectUnauthorized(await operator("GET", "/tenants", undefined, headers), JSON.stringify(headers));
		// Lower-case scheme is still the same credential (RFC 9110: the scheme is case-insensitive).
		expect((await operator("GET", "/tenants?limit=1", undefined, { Authorization: `bearer ${token}` })).status).toBe(200);
	});

	it("outside development a missing or short OPERATOR_TOKEN is a clear 500 on operator routes only; development has a default", async () => {
		const t = await registerTenant();
		for (const value of [undefined, "", "too-short"]) {
			const res = await fetchWith({ ENVIRONMENT: "production", OPERATOR_TOKEN: value }, "/api/v1/operator/tenants", { headers: bearer("anything") });
			expect(res.status).toBe(500);
			const error = await errorOf(res);
			expect(error.code).toBe("INTERNAL");
			expect(error.message).toContain("OPERATOR_TOKEN");
		}
		// The tenants' API is unaffected.
		const tenant = await fetchWith({ ENVIRONMENT: "production", OPERATOR_TOKEN: undefined }, "/api/v1/tenant", { headers: bearer(t.access_token) });
		expect(tenant.status).toBe(200);
		// Development: the fixed development token works, and nothing else does.
		const { DEV_OPERATOR_TOKEN } = await import("../../../src/lib/config");
		const dev = { ENVIRONMENT: "development", OPERATOR_TOKEN: undefined };
		expect((await fetchWith(dev, "/api/v1/operator/tenants?limit=1", { headers: bearer(DEV_OPERATOR_TOKEN) })).status).toBe(200);
		expect((await fetchWith(dev, "/api/v1/operator/tenants?limit=1", { headers: bearer(OPERATOR()) })).status).toBe(401);
	});

	it("the OpenAPI document declares the operator scheme on operator routes", async () => {
		const doc = await (await call("/openapi.json")).json<{
			paths: Record<string, Record<string, { operationId: string; security: unknown; tags: string[]; summary: string }>>;
			components: { securitySchemes: Record<string, unknown> };
		}>();
		expect(doc.components.securitySchemes.OperatorToken).toMatchObject({ type: "http", scheme: "bearer" });
		const ops = [doc.paths["/api/v1/operator/tenants"]!.get!, doc.paths["/api/v1/operator/tenants/{id}"]!.get!, doc.paths["/api/v1/operator/tenants/{id}"]!.patch!];
		expect(ops.map((o) => o.operationId)).toEqual(["listOperatorTenants", "getOperatorTenant", "updateOperatorTenant"]);
		for (const o of ops) {
			expect(o.security).toEqual([{ OperatorToken: [] }]);
			expect(o.tags).toEqual(["Operator"]);
			expect(o.summary).toBeTruthy();
		}
	});
});
