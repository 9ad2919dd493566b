import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import {
	type Registered,
	bearer,
	call,
	errorOf,
	flush,
	postJson,
	registerTenant,
	send,
	tenantObject,
} from "../../helpers";

const KEYS = "/api/v1/api-keys";
type Created = { id: string; name: string; prefix: string; scopes: string[]; key: string; created_at: string };

async function createKey(t: Registered, body: unknown): Promise<Created> {
	const res = await send("POST", KEYS, t.access_token, body);
	if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
	return res.json();
}

const EVENT_ID = "scoped-event-1";

/** Every ingestion and read route, with what a request needs and the status it gives when allowed. */
const ROUTES: { name: string; scope: "ingest" | "read"; ok: number; send: (headers: Record<string, string>) => Promise<Response> }[] = [
	{ name: "POST /ingestion/events", scope: "ingest", ok: 202, send: (h) => postJson("/api/v1/ingestion/events", { event_type: "user_action" }, h) },
	{
		name: "POST /ingestion/events/batch",
		scope: "ingest",
		ok: 200,
		send: (h) => postJson("/api/v1/ingestion/events/batch", { events: [{ event_type: "user_action" }] }, h),
	},
	{ name: "GET /ingestion/events/search", scope: "read", ok: 200, send: (h) => call("/api/v1/ingestion/events/search", { headers: h }) },
	{ name: "GET /ingestion/events/{id}", scope: "read", ok: 200, send: (h) => call(`/api/v1/ingestion/events/${EVENT_ID}`, { headers: h }) },
	{ name: "GET /ingestion/stats", scope: "read", ok: 200, send: (h) => call("/api/v1/ingestion/stats", { headers: h }) },
	...["/overview", "/events/stream", "/alerts/summary", "/metrics/real-time", "/connections/stats"].map((path) => ({
		name: `GET /dashboard${path}`,
		scope: "read" as const,
		ok: 200,
		send: (h: Record<string, string>) => call(`/api/v1/dashboard${path}`, { headers: h }),
	})),
];

describe("key scopes × ingestion and read routes", () => {
	let t: Registered;
	let keys: Record<"ingest" | "read" | "both", Created>;

	beforeAll(async () => {
		t = await registerTenant();
		keys = {
			ingest: await createKey(t, { name: "web page", scopes: ["ingest"] }),
			read: await createKey(t, { name: "reporting", scopes: ["read"] }),
			both: await createKey(t, { name: "server" }),
		};
		expect((await postJson("/api/v1/ingestion/events", { event_id: EVENT_ID, event_type: "custom" }, { "X-API-Key": t.api_key.key })).status).toBe(202);
		await flush(t.tenant.id);
	});

	for (const which of ["ingest", "read", "both"] as const) {
		it(`a key with ${which === "both" ? "both scopes" : `only ${which}`}: allowed inside its scopes, 403 FORBIDDEN outside`, async () => {
			for (const route of ROUTES) {
				const res = await route.send({ "X-API-Key": keys[which].key });
				const allowed = which === "both" || which === route.scope;
				if (allowed) {
					expect(res.status, route.name).toBe(route.ok);
				} else {
					expect(res.status, route.name).toBe(403);
					const error = await errorOf(res);
					expect(error.code).toBe("FORBIDDEN");
					expect(error.message).toContain(`${route.scope} scope`);
					// A refusal of the key carries no rate-limit figures: it never reached the tenant's quota.
					expect(res.headers.get("X-RateLimit-Limit"), route.name).toBeNull();
				}
			}
		});
	}

	it("a user token reads every read route whatever keys exist", async () => {
		for (const route of ROUTES.filter((r) => r.scope === "read")) {
			expect((await route.send(bearer(t.access_token))).status, route.name).toBe(200);
		}
	});

	it("the scope is checked before the body: a read-only key with a bad body is 403, and nothing is counted", async () => {
		const stub = tenantObject(t.tenant.id);
		const before = await stub.stats(t.tenant.id);
		const bad = await call("/api/v1/ingestion/events", { method: "POST", headers: { "X-API-Key": keys.read.key, "Content-Type": "text/plain" }, body: "x" });
		expect(bad.status).toBe(403);
		const batch = await postJson("/api/v1/ingestion/events/batch", { events: [] }, { "X-API-Key": keys.read.key });
		expect(batch.status).toBe(403);
		const after = await stub.stats(t.tenant.id);
		expect(after.rejected).toBe(before.rejected);
		expect(after.total_events).toBe(before.total_events);
	});

	it("a revoked key is 401 everywhere, whatever its scopes allowed", async () => {
		const doomed = await createKey(t, { name: "doomed", scopes: ["ingest"] });
		expect((await send("DELETE", `${KEYS}/${doomed.id}`, t.access_token)).status).toBe(204);
		for (const route of ROUTES) {
			const res = await route.send({ "X-API-Key": doomed.key });
			expect(res.status, route.name).toBe(401);
			expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
		}
	});
});

describe("creating keys with scopes", () => {
	it("answers 201 {id, name, prefix, scopes, key, created_at}; scopes default to both, in one canonical order", async () => {
		const t = await registerTenant();
		const plain = await createKey(t, { name: "plain" });
		expect(Object.keys(plain).sort()).toEqual(["created_at", "id", "key", "name", "prefix", "scopes"]);
		expect(plain.scopes).toEqual(["ingest", "read"]);
		expect((await createKey(t, { name: "reversed", scopes: ["read", "ingest"] })).scopes).toEqual(["ingest", "read"]);
		expect((await createKey(t, { name: "publishable", scopes: ["ingest"] })).scopes).toEqual(["ingest"]);
		expect((await createKey(t, { name: "reader", scopes: ["read"] })).scopes).toEqual(["read"]);
	});

	it("the list shows every key's scopes; the registration key has both; D1 holds them", async () => {
		const t = await registerTenant();
		expect((t.api_key as unknown as { scopes: string[] }).scopes).toEqual(["ingest", "read"]);
		const web = await createKey(t, { name: "web", scopes: ["ingest"] });
		const list = await (await send("GET", KEYS, t.access_token)).json<{ api_keys: { id: string; scopes: string[] }[] }>();
		expect(list.api_keys.map((k) => [k.id, k.scopes])).toEqual([
			[web.id, ["ingest"]],
			[t.api_key.id, ["ingest", "read"]],
		]);
		const row = await env.DB.prepare("SELECT scopes FROM api_keys WHERE id = ?").bind(web.id).first<{ scopes: string }>();
		expect(JSON.parse(row!.scopes)).toEqual(["ingest"]);
	});

	it("empty, unknown, repeated or mistyped scopes are 422 VALIDATION_ERROR naming the field, and create nothing", async () => {
		const t = await registerTenant();
		const cases: [unknown, string][] = [
			[[], "scopes"],
			[["admin"], "scopes.0"],
			[["ingest", "write"], "scopes.1"],
			[["read", "read"], "scopes"],
			[["ingest", "read", "ingest"], "scopes"],
			["ingest", "scopes"],
			[null, "scopes"],
			[[1], "scopes.0"],
			[["INGEST"], "scopes.0"],
			[{ ingest: true }, "scopes"],
		];
		for (const [scopes, path] of cases) {
			const res = await send("POST", KEYS, t.access_token, { name: "bad", scopes });
			expect(res.status, JSON.stringify(scopes)).toBe(422);
			const error = await errorOf(res);
			expect(error.code).toBe("VALIDATION_ERROR");
			expect(error.details?.map((d) => d.path), JSON.stringify(scopes)).toContain(path);
		}
		const list = await (await send("GET", KEYS, t.access_token)).json<{ api_keys: unknown[] }>();
		expect(list.api_keys).toHaveLength(1);
	});

	it("records the scopes in the audit entry", async () => {
		const t = await registerTenant();
		const web = await createKey(t, { name: "web", scopes: ["ingest"] });
		const { entries } = await (await call("/api/v1/audit-log?action=api_key.", { headers: bearer(t.access_token) })).json<{
			entries: { target: { id: string }; details: Record<string, unknown> }[];
		}>();
		expect(entries.find((e) => e.target.id === web.id)!.details).toMatchObject({ name: "web", scopes: ["ingest"] });
	});

	it("the OpenAPI document states the scopes of create and list", async () => {
		const doc = await (await call("/openapi.json")).json<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>();
		for (const schema of ["CreateApiKey", "CreatedApiKey", "ApiKey"]) {
			expect(doc.components.schemas[schema]!.properties.scopes, schema).toMatchObject({
				type: "array",
				items: { type: "string", enum: ["ingest", "read"] },
			});
		}
	});
});

describe("scopes in the tenant object", () => {
	it("survive an object that lost its storage and reloads its keys from D1", async () => {
		const t = await registerTenant();
		const web = await createKey(t, { name: "web", scopes: ["ingest"] });
		const reader = await createKey(t, { name: "reader", scopes: ["read"] });
		const stub = tenantObject(t.tenant.id);
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAll());
		await evictDurableObject(stub);

		// The object answers the key's scopes itself, read back from D1.
		const row = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(web.id).first<{ key_hash: string }>();
		expect(await stub.authenticate(t.tenant.id, row!.key_hash, "ingest")).toEqual({ scopes: ["ingest"] });
		expect((await postJson("/api/v1/ingestion/events", { event_type: "user_action" }, { "X-API-Key": web.key })).status).toBe(202);
		expect((await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": web.key } })).status).toBe(403);
		expect((await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": reader.key } })).status).toBe(200);
		expect((await postJson("/api/v1/ingestion/events", { event_type: "user_action" }, { "X-API-Key": reader.key })).status).toBe(403);
	});

	it("are kept across a restart from the object's own storage", async () => {
		const t = await registerTenant();
		const web = await createKey(t, { name: "web", scopes: ["ingest"] });
		await evictDurableObject(tenantObject(t.tenant.id));
		expect((await call("/api/v1/dashboard/overview", { headers: { "X-API-Key": web.key } })).status).toBe(403);
		expect((await postJson("/api/v1/ingestion/events", { event_type: "user_action" }, { "X-API-Key": web.key })).status).toBe(202);
	});

	it("a key row whose scopes cannot be read grants nothing (fails closed)", async () => {
		const t = await registerTenant();
		const key = await createKey(t, { name: "damaged" });
		const stub = tenantObject(t.tenant.id);
		await runInDurableObject(stub, (_i: TenantObject, state) => {
			state.storage.sql.exec("UPDATE api_keys SET scopes = 'not json' WHERE id = ?", key.id);
		});
		await evictDurableObject(stub);
		expect((await postJson("/api/v1/ingestion/events", { event_type: "custom" }, { "X-API-Key": key.key })).status).toBe(403);
		expect((await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": key.key } })).status).toBe(403);
	});
});
