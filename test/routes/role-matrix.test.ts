import { beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, type Member, type Registered, addUser, bearer, call, keyHeader, postJson, registerTenant } from "../helpers";

/**
 * Every management route × every kind of caller, with the exact status.
 * Tenant A is the one addressed; "other" is the owner of tenant B, who must
 * see only B's data on collection routes and a 404 for any of A's ids.
 */
const CALLERS = ["viewer", "admin", "owner", "api_key", "none", "other"] as const;
type Caller = (typeof CALLERS)[number];
type Expect = Record<Caller, number>;

const row = (viewer: number, admin: number, owner: number, other: number): Expect => ({
	viewer,
	admin,
	owner,
	api_key: 401,
	none: 401,
	other,
});

let a: Registered;
let b: Registered;
let viewer: Member;
let admin: Member;

const newEmail = () => `m-${Math.random().toString(36).slice(2, 10)}@example.com`;

/** A fresh user of tenant A (made by its owner), for routes that change or remove one. */
async function freshUser(role: "viewer" | "owner"): Promise<string> {
	const res = await postJson("/api/v1/auth/users", { email: newEmail(), password: PASSWORD, role }, bearer(a.access_token));
	return (await res.json<{ id: string }>()).id;
}

async function freshKey(): Promise<string> {
	const res = await postJson("/api/v1/api-keys", { name: "matrix" }, bearer(a.access_token));
	return (await res.json<{ id: string }>()).id;
}

type Route = {
	name: string;
	method: string;
	path: () => Promise<string> | string;
	body?: () => unknown;
	expect: Expect;
	/** For the other tenant's owner on a 2xx: proof that nothing of A was reached. */
	isolated?: (body: unknown) => void;
};

const ROUTES: Route[] = [
	{ name: "GET /auth/profile", method: "GET", path: () => "/api/v1/auth/profile", expect: row(200, 200, 200, 200), isolated: (u) => expect((u as { tenant_id: string }).tenant_id).toBe(b.tenant.id) },
	{ name: "PATCH /auth/profile", method: "PATCH", path: () => "/api/v1/auth/profile", body: () => ({ full_name: "Matrix" }), expect: row(200, 200, 200, 200) },
	{
		name: "POST /auth/change-password (wrong current password)",
		method: "POST",
		path: () => "/api/v1/auth/change-password",
		body: () => ({ current_password: "not the password", new_password: "a fresh long secret" }),
		expect: row(422, 422, 422, 422),
	},
	{
		name: "GET /auth/users",
		method: "GET",
		path: () => "/api/v1/auth/users",
		expect: row(403, 200, 200, 200),
		isolated: (body) => expect((body as { users: { tenant_id: string }[] }).users.every((u) => u.tenant_id === b.tenant.id)).toBe(true),
	},
	{ name: "POST /auth/users (viewer)", method: "POST", path: () => "/api/v1/auth/users", body: () => ({ email: newEmail(), password: PASSWORD, role: "viewer" }), expect: row(403, 201, 201, 201), isolated: (u) => expect((u as { tenant_id: string }).tenant_id).toBe(b.tenant.id) },
	{ name: "POST /auth/users (owner)", method: "POST", path: () => "/api/v1/auth/users", body: () => ({ email: newEmail(), password: PASSWORD, role: "owner" }), expect: row(403, 403, 201, 201) },
	{ name: "PATCH /auth/users/{viewer}", method: "PATCH", path: async () => `/api/v1/auth/users/${await freshUser("viewer")}`, body: () => ({ role: "admin" }), expect: row(403, 200, 200, 404) },
	{ name: "PATCH /auth/users/{owner}", method: "PATCH", path: async () => `/api/v1/auth/users/${await freshUser("owner")}`, body: () => ({ full_name: "x" }), expect: row(403, 403, 200, 404) },
	{ name: "DELETE /auth/users/{viewer}", method: "DELETE", path: async () => `/api/v1/auth/users/${await freshUser("viewer")}`, expect: row(403, 204, 204, 404) },
	{ name: "DELETE /auth/users/{owner}", method: "DELETE", path: async () => `/api/v1/auth/users/${await freshUser("owner")}`, expect: row(403, 403, 204, 404) },
	{ name: "GET /tenant", method: "GET", path: () => "/api/v1/tenant", expect: row(200, 200, 200, 200), isolated: (t) => expect((t as { id: string }).id).toBe(b.tenant.id) },
	{ name: "PATCH /tenant", method: "PATCH", path: () => "/api/v1/tenant", body: () => ({ name: "Matrix" }), expect: row(403, 200, 200, 200), isolated: (t) => expect((t as { id: string }).id).toBe(b.tenant.id) },
	{
		name: "GET /api-keys",
		method: "GET",
		path: () => "/api/v1/api-keys",
		expect: row(403, 200, 200, 200),
		isolated: (body) => expect((body as { api_keys: { id: string }[] }).api_keys.map((k) => k.id)).not.toContain(a.api_key.id),
	},
	{ name: "POST /api-keys", method: "POST", path: () => "/api/v1/api-keys", body: () => ({ name: "matrix" }), expect: row(403, 201, 201, 201) },
	{ name: "DELETE /api-keys/{id}", method: "DELETE", path: async () => `/api/v1/api-keys/${await freshKey()}`, expect: row(403, 204, 204, 404) },
	{
		name: "GET /audit-log",
		method: "GET",
		path: () => "/api/v1/audit-log",
		expect: row(403, 200, 200, 200),
		isolated: (body) => expect(JSON.stringify(body)).not.toContain(a.user.id),
	},
	// Last: it ends each caller's session.
	{ name: "POST /auth/logout", method: "POST", path: () => "/api/v1/auth/logout", expect: row(204, 204, 204, 204) },
];

const CODES: Record<number, string> = { 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "VALIDATION_ERROR" };

function headersOf(caller: Caller): Record<string, string> {
	switch (caller) {
		case "viewer":
			return bearer(viewer.access_token);
		case "admin":
			return bearer(admin.access_token);
		case "owner":
			return bearer(a.access_token);
		case "api_key":
			return keyHeader(a);
		case "none":
			return {};
		case "other":
			return bearer(b.access_token);
	}
}

describe("role matrix: every management route × every caller", () => {
	beforeAll(async () => {
		[a, b] = await Promise.all([registerTenant(), registerTenant()]);
		[viewer, admin] = await Promise.all([addUser(a, "viewer"), addUser(a, "admin")]);
	});

	for (const route of ROUTES) {
		it(route.name, async () => {
			const got: Partial<Expect> = {};
			for (const caller of CALLERS) {
				const body = route.body?.();
				const res = await call(await route.path(), {
					method: route.method,
					headers: { ...headersOf(caller), ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
					...(body !== undefined ? { body: JSON.stringify(body) } : {}),
				});
				got[caller] = res.status;
				const text = await res.text();
				if (res.status >= 400) {
					const error = JSON.parse(text).error;
					expect(error.code, `${route.name} as ${caller}`).toBe(CODES[res.status]);
					expect(text).not.toMatch(/at .*\.ts:\d+|stack/i);
				} else if (caller === "other" && route.isolated && text) {
					route.isolated(JSON.parse(text));
				}
			}
			expect(got).toEqual(route.expect);
		});
	}
});
