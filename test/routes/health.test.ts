import { describe, expect, it } from "vitest";
import { call, errorOf } from "../helpers";

describe("operations", () => {
	it("GET /health checks D1 and answers healthy", async () => {
		const res = await call("/health");
		expect(res.status).toBe(200);
		expect(res.headers.get("X-Request-Id")).toBeTruthy();
		const body = await res.json<Record<string, unknown>>();
		expect(body).toMatchObject({ status: "healthy", checks: { database: "ok" } });
		expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
	});

	it("GET / names the service and links", async () => {
		const res = await call("/");
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ name: "PulseStream", links: { health: "/health" } });
	});

	it("an unknown route is a 404 in the error envelope with the request id", async () => {
		const res = await call("/api/v1/nothing-here");
		expect(res.status).toBe(404);
		const error = await errorOf(res);
		expect(error.code).toBe("NOT_FOUND");
		expect(error.request_id).toBe(res.headers.get("X-Request-Id"));
	});

	it("a POST to an unknown route is 404 whatever its body", async () => {
		const res = await call("/api/v1/nothing-here", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "hello" });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).code).toBe("NOT_FOUND");
	});

	it("keeps a sane client request id and replaces a garbage one", async () => {
		const kept = await call("/health", { headers: { "X-Request-Id": "client-req-12345" } });
		expect(kept.headers.get("X-Request-Id")).toBe("client-req-12345");
		const replaced = await call("/health", { headers: { "X-Request-Id": "<script>" } });
		expect(replaced.headers.get("X-Request-Id")).not.toBe("<script>");
	});

	it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
		const res = await call("/openapi.json");
		expect(res.status).toBe(200);
		const doc = await res.json<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
		expect(doc.openapi).toBe("3.1.0");
		// Each route lists the errors it can give, in the envelope (403: a key outside its scopes, a suspended tenant).
		expect(Object.keys(doc.paths["/api/v1/ingestion/events/search"]!.get!.responses).sort()).toEqual(["200", "401", "403", "422", "500"]);
		expect(Object.keys(doc.paths["/api/v1/ingestion/events"]!.post!.responses)).toEqual(
			expect.arrayContaining(["202", "200", "400", "401", "403", "413", "415", "422", "429"]),
		);
		for (const path of [
			"/api/v1/auth/register/tenant",
			"/api/v1/tenant",
			"/api/v1/ingestion/events",
			"/api/v1/ingestion/events/batch",
			"/api/v1/ingestion/events/search",
			"/api/v1/ingestion/events/{event_id}",
			"/api/v1/ingestion/stats",
			"/api/v1/auth/login",
			"/api/v1/auth/refresh",
			"/api/v1/auth/logout",
			"/api/v1/auth/profile",
			"/api/v1/auth/change-password",
			"/api/v1/auth/password-reset/request",
			"/api/v1/auth/password-reset/confirm",
			"/api/v1/auth/users",
			"/api/v1/auth/users/{id}",
			"/api/v1/api-keys",
			"/api/v1/api-keys/{id}",
			"/api/v1/audit-log",
			"/health",
		]) {
			expect(doc.paths, path).toHaveProperty([path]);
		}
		// Management routes declare their credential and the role errors they give.
		const users = doc.paths["/api/v1/auth/users/{id}"]! as Record<string, { responses: Record<string, unknown>; security?: unknown }>;
		expect(users.patch!.security).toEqual([{ Bearer: [] }]);
		expect(Object.keys(users.patch!.responses)).toEqual(expect.arrayContaining(["200", "401", "403", "404", "409", "422"]));
	});
});
