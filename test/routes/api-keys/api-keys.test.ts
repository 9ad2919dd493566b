import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../src/lib/crypto";
import type { TenantObject } from "../../../src/tenant/tenant-object";
import { addUser, call, errorOf, eventually, postJson, registerTenant, send, tenantObject } from "../../helpers";

const KEYS = "/api/v1/api-keys";
type Key = { id: string; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null };

const ingestWith = (key: string, id = crypto.randomUUID()) =>
	postJson("/api/v1/ingestion/events", { event_id: id, event_type: "custom" }, { "X-API-Key": key });

async function lastUsedInD1(id: string): Promise<number | null> {
	const row = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?").bind(id).first<{ last_used_at: number | null }>();
	return row!.last_used_at;
}

describe("API keys", () => {
	it("creates a key shown once, stored as a hash, working at once; lists never show it", async () => {
		const t = await registerTenant();
		const res = await send("POST", KEYS, t.access_token, { name: "CI producer" });
		expect(res.status).toBe(201);
		const created = await res.json<{ id: string; name: string; prefix: string; key: string; created_at: string }>();
		expect(created).toMatchObject({ name: "CI producer", key: expect.stringMatching(/^ps_/), created_at: expect.any(String) });
		expect(created.key.startsWith(created.prefix)).toBe(true);
		expect((await ingestWith(created.key)).status).toBe(202);

		const list = await send("GET", KEYS, t.access_token);
		const text = await list.text();
		expect(text).not.toContain(created.key);
		const { api_keys } = JSON.parse(text) as { api_keys: Key[] };
		expect(api_keys.map((k) => k.id)).toEqual([created.id, t.api_key.id]);
		expect(Object.keys(api_keys[0]!).sort()).toEqual(["created_at", "id", "last_used_at", "name", "prefix", "revoked_at", "scopes"]);
		const row = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?").bind(created.id).first<{ key_hash: string }>();
		expect(row!.key_hash).toBe(await sha256Hex(created.key));
	});

	it("rotates without downtime: old and new keys both work until the old one is revoked, then it is refused on the very next request", async () => {
		const t = await registerTenant();
		const fresh = await (await send("POST", KEYS, t.access_token, { name: "v2" })).json<{ id: string; key: string }>();
		expect((await ingestWith(t.api_key.key)).status).toBe(202);
		expect((await ingestWith(fresh.key)).status).toBe(202);

		expect((await send("DELETE", `${KEYS}/${t.api_key.id}`, t.access_token)).status).toBe(204);
		const refused = await ingestWith(t.api_key.key);
		expect(refused.status).toBe(401);
		expect((await errorOf(refused)).code).toBe("UNAUTHORIZED");
		expect((await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": t.api_key.key } })).status).toBe(401);
		expect((await ingestWith(fresh.key)).status).toBe(202);

		const { api_keys } = await (await send("GET", KEYS, t.access_token)).json<{ api_keys: Key[] }>();
		expect(api_keys.find((k) => k.id === t.api_key.id)!.revoked_at).toEqual(expect.any(String));
		expect(api_keys.find((k) => k.id === fresh.id)!.revoked_at).toBeNull();
		// Revoking again is harmless; an unknown id is 404.
		expect((await send("DELETE", `${KEYS}/${t.api_key.id}`, t.access_token)).status).toBe(204);
		expect((await send("DELETE", `${KEYS}/nope`, t.access_token)).status).toBe(404);
	});

	it("a revocation survives the object restarting and reloading from D1", async () => {
		const t = await registerTenant();
		await send("DELETE", `${KEYS}/${t.api_key.id}`, t.access_token);
		// Lose the object's storage entirely: it must learn the revocation from D1.
		await runInDurableObject(tenantObject(t.tenant.id), async (_i: TenantObject, state) => {
			await state.storage.deleteAll();
		});
		await evictDurableObject(tenantObject(t.tenant.id));
		expect((await ingestWith(t.api_key.key)).status).toBe(401);
	});

	it("keeps last_used_at in the object and writes it to D1 at most once a minute, never per event", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		expect((await ingestWith(t.api_key.key)).status).toBe(202);
		// Fresh in the list at once (the object's copy), before D1 has it.
		const listed = await (await send("GET", KEYS, t.access_token)).json<{ api_keys: Key[] }>();
		expect(listed.api_keys[0]!.last_used_at).toEqual(expect.any(String));
		expect(await lastUsedInD1(t.api_key.id)).toBeNull();

		await runDurableObjectAlarm(stub);
		const first = await lastUsedInD1(t.api_key.id);
		expect(first).toEqual(expect.any(Number));

		// More use within the minute: the object knows, D1 is not written again.
		await new Promise((r) => setTimeout(r, 20));
		for (let i = 0; i < 5; i++) await ingestWith(t.api_key.key);
		await runDurableObjectAlarm(stub);
		expect(await lastUsedInD1(t.api_key.id)).toBe(first);
		const usage = await stub.keyUsage();
		expect(usage[t.api_key.id]).toBeGreaterThan(first!);

		// A minute later the newest use lands in D1 (the object's last write moved back a minute).
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { m: { keyUse: { syncedAt: number } } }).m.keyUse.syncedAt -= 60_000;
		});
		await runDurableObjectAlarm(stub);
		expect(await lastUsedInD1(t.api_key.id)).toBe(usage[t.api_key.id]);
	});

	it("a key's last use survives the object being evicted before D1 heard of it", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		await ingestWith(t.api_key.key);
		const used = (await stub.keyUsage())[t.api_key.id];
		expect(used).toEqual(expect.any(Number));
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());
		await evictDurableObject(stub);
		expect((await stub.keyUsage())[t.api_key.id]).toBe(used);
		await eventually(async () => (await lastUsedInD1(t.api_key.id)) === used);
	});

	it("refuses bad input: missing or over-long names (422), non-JSON (400), oversize (413)", async () => {
		const t = await registerTenant();
		for (const body of [{}, { name: "" }, { name: "x".repeat(101) }, { name: 5 }]) {
			const res = await send("POST", KEYS, t.access_token, body);
			expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(422);
			expect((await errorOf(res)).details![0]!.path).toBe("name");
		}
		expect((await send("POST", KEYS, t.access_token, "{")).status).toBe(400);
		expect((await send("POST", KEYS, t.access_token, { name: "x".repeat(2 * 1024 * 1024) })).status).toBe(413);
	});

	it("an admin manages keys; a revoked key of one tenant never affects another", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const admin = await addUser(t, "admin");
		const created = await send("POST", KEYS, admin.access_token, { name: "by admin" });
		expect(created.status).toBe(201);
		expect((await send("DELETE", `${KEYS}/${other.api_key.id}`, admin.access_token)).status).toBe(404);
		expect((await ingestWith(other.api_key.key)).status).toBe(202);
	});
});

describe("key use bookkeeping", () => {
	it("saves a second key's first use at once, even within the same second as another's", async () => {
		const t = await registerTenant();
		const second = await (await send("POST", KEYS, t.access_token, { name: "second" })).json<{ id: string; key: string }>();
		await ingestWith(t.api_key.key);
		await ingestWith(second.key);
		const stub = tenantObject(t.tenant.id);
		await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.deleteAlarm());
		await evictDurableObject(stub);
		const usage = await stub.keyUsage();
		expect(Object.keys(usage).sort()).toEqual([t.api_key.id, second.id].sort());
	});

	it("a failing D1 write is retried with backoff, not in a loop", async () => {
		const t = await registerTenant();
		const stub = tenantObject(t.tenant.id);
		let calls = 0;
		const down = new Proxy(env.DB, {
			get: (target, prop) => {
				if (prop === "batch") {
					return () => {
						calls++;
						throw new Error("D1 is unavailable");
					};
				}
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { env: Env }).env = { ...env, DB: down };
		});
		await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": t.api_key.key } });
		await runDurableObjectAlarm(stub);
		expect(calls).toBe(1);
		const next = await runInDurableObject(stub, (_i: TenantObject, state) => state.storage.getAlarm());
		expect(next).toBeGreaterThanOrEqual(Date.now() + 4_000);
		await runInDurableObject(stub, (instance: TenantObject) => {
			(instance as unknown as { env: Env }).env = env;
		});
	});
});
