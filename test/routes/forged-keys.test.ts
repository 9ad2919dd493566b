import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { generateApiKey } from "../../src/lib/api-key";
import { BASE, errorOf, registerTenant } from "../helpers";

/** A binding with every property read counted: for DB a query, for TENANT reaching (and so waking) an object. */
function counting<T extends object>(binding: T) {
	const calls: string[] = [];
	const proxy = new Proxy(binding, {
		get(target, prop) {
			const value = Reflect.get(target, prop);
			if (typeof value !== "function") return value;
			return (...args: unknown[]) => {
				calls.push(String(prop));
				return value.apply(target, args);
			};
		},
	});
	return { proxy, calls };
}

const ROUTES: [string, string, string?][] = [
	["POST", "/api/v1/ingestion/events", JSON.stringify({ event_type: "custom" })],
	["POST", "/api/v1/ingestion/events/batch", JSON.stringify({ events: [{ event_type: "custom" }] })],
	["GET", "/api/v1/ingestion/events/search"],
	["GET", "/api/v1/ingestion/events/some-id"],
	["GET", "/api/v1/ingestion/stats"],
	["GET", "/api/v1/dashboard/overview"],
	["GET", "/api/v1/dashboard/connections/stats"],
];

describe("keys this deployment never issued", () => {
	it("are 401 at the edge on every key route: no tenant object reached, no D1 query", async () => {
		const t = await registerTenant();
		const real = t.api_key.key;
		const otherDeployment = await generateApiKey(
			{ ...env, API_KEY_SECRET: "another-deployment-secret-that-is-long-enough" } as Env,
			t.tenant.id,
		);
		const forged = [
			// A made-up tenant part (the attack of the issue: a new object and a D1 query each).
			real.replace(t.tenant.id, crypto.randomUUID().replaceAll("-", "")),
			real.replace(t.tenant.id, "0".repeat(32)),
			// A real tenant with a wrong secret, garbled, truncated, extended.
			real.slice(0, 50) + (real[50] === "A" ? "B" : "A") + real.slice(51),
			real.slice(0, -1) + (real.endsWith("A") ? "B" : "A"),
			real.slice(0, -5),
			real.slice(0, 60),
			`${real}x`,
			// Well formed, tagged by a secret this deployment does not hold.
			otherDeployment.key,
			"ps_garbage",
		];

		const db = counting(env.DB);
		const tenants = counting(env.TENANT);
		const counted = { ...env, DB: db.proxy, TENANT: tenants.proxy } as Env;
		const send = async (method: string, path: string, key: string, body?: string) => {
			const ctx = createExecutionContext();
			const res = await worker.fetch(
				new Request(`${BASE}${path}`, { method, headers: { "Content-Type": "application/json", "X-API-Key": key }, body }),
				counted,
				ctx,
			);
			await waitOnExecutionContext(ctx);
			return res;
		};

		for (const key of forged) {
			for (const [method, path, body] of ROUTES) {
				const res = await send(method, path, key, body);
				expect(res.status, `${method} ${path} ${key}`).toBe(401);
				expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
				expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
			}
		}
		expect(tenants.calls).toEqual([]);
		expect(db.calls).toEqual([]);

		// The same counters see a real key reach its object: the assertions above could fail.
		expect((await send("POST", "/api/v1/ingestion/events", real, JSON.stringify({ event_type: "custom" }))).status).toBe(202);
		expect(tenants.calls.length).toBeGreaterThan(0);
	});

	it("a forged key and an unknown-but-tagged key read the same, so the answer tells a guesser nothing", async () => {
		const t = await registerTenant();
		const forged = t.api_key.key.replace(t.tenant.id, "1".repeat(32));
		const tagged = (await generateApiKey(env, "1".repeat(32))).key;
		const messages = [];
		for (const key of [forged, tagged]) {
			const ctx = createExecutionContext();
			const res = await worker.fetch(new Request(`${BASE}/api/v1/ingestion/stats`, { headers: { "X-API-Key": key } }), env, ctx);
			await waitOnExecutionContext(ctx);
			expect(res.status).toBe(401);
			messages.push((await errorOf(res)).message);
		}
		expect(messages[0]).toBe(messages[1]);
	});

	it("outside development, a missing API_KEY_SECRET makes the API a clear 500 INTERNAL, without a stack trace", async () => {
		for (const path of ["/api/v1/ingestion/stats", "/api/v1/auth/login"]) {
			const ctx = createExecutionContext();
			const res = await worker.fetch(
				new Request(`${BASE}${path}`),
				{ ...env, ENVIRONMENT: "production", API_KEY_SECRET: undefined } as Env,
				ctx,
			);
			await waitOnExecutionContext(ctx);
			expect(res.status).toBe(500);
			const text = await res.text();
			const { error } = JSON.parse(text) as { error: { code: string; message: string } };
			expect(error.code).toBe("INTERNAL");
			expect(error.message).toContain("API_KEY_SECRET");
			expect(text).not.toMatch(/\bat\s|\.ts:\d|stack/i);
		}
	});
});
