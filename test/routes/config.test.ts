import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWith } from "../helpers";

describe("configuration and failures", () => {
	it("outside development, a missing JWT_SECRET is a clear 500 INTERNAL, never a silent default", async () => {
		const res = await fetchWith({ ENVIRONMENT: "production", JWT_SECRET: undefined }, "/api/v1/tenant");
		expect(res.status).toBe(500);
		const body = await res.json<{ error: { code: string; message: string; request_id: string } }>();
		expect(body.error.code).toBe("INTERNAL");
		expect(body.error.message).toContain("JWT_SECRET");
		expect(body.error.request_id).toBe(res.headers.get("X-Request-Id"));
		expect(JSON.stringify(body)).not.toMatch(/\bat\s|\.ts:\d|stack/i);
	});

	it("in development the same missing secret falls back to the development key", async () => {
		const res = await fetchWith({ ENVIRONMENT: "development", JWT_SECRET: undefined }, "/api/v1/tenant");
		expect(res.status).toBe(401);
	});

	it("an unexpected failure is a 500 INTERNAL envelope without a stack trace or SQL", async () => {
		// A D1 binding that fails every call: the handler throws a non-API error.
		const broken = new Proxy(env.DB, {
			get: () => () => {
				throw new Error("SQLITE_ERROR: near \"SELECT\": syntax error at src/db/client.ts:12");
			},
		});
		const res = await fetchWith({ DB: broken }, "/api/v1/auth/register/tenant", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ name: "x", slug: "broken-db", email: "a@b.test", password: "long enough pw" }),
		});
		expect(res.status).toBe(500);
		const text = await res.text();
		expect(JSON.parse(text).error.code).toBe("INTERNAL");
		expect(text).not.toMatch(/SQLITE|SELECT|client\.ts/);
		expect(res.headers.get("X-Request-Id")).toBeTruthy();
	});

	it("/health answers 503 unhealthy when D1 does not answer", async () => {
		const down = new Proxy(env.DB, {
			get: () => () => {
				throw new Error("D1 is unreachable");
			},
		});
		const res = await fetchWith({ DB: down }, "/health");
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({ status: "unhealthy", checks: { database: "unreachable" } });
	});
});
