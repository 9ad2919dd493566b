import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";

const base = inject("baseUrl");
const state = inject("stateDir");

type Registered = { tenant: { id: string }; api_key: { key: string }; access_token: string };

async function register(label: string): Promise<Registered> {
	const slug = `e2e-${label}-${Date.now().toString(36)}`;
	const res = await fetch(`${base}/api/v1/auth/register/tenant`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ name: "E2E forged keys", slug, email: `owner@${slug}.test`, password: "end-to-end-password" }),
	});
	expect(res.status).toBe(201);
	return (await res.json()) as Registered;
}

/**
 * The Durable Objects' SQLite files under wrangler dev's `--persist-to`
 * directory (`v3/do/<script>-TenantObject/<id>.sqlite`): one per object that
 * ever woke, even one that stayed empty (checked by hand: a tagged key of an
 * unknown tenant, which does reach an object, leaves a file). D1's database
 * is a SQLite file too, under another folder, and is left out.
 */
function objectFiles(): string[] {
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else if (entry.name.endsWith(".sqlite") && entry.name !== "metadata.sqlite") found.push(path);
		}
	};
	const root = join(state, "v3", "do");
	if (existsSync(root)) walk(root);
	return found.sort();
}

const hex32 = () => crypto.randomUUID().replaceAll("-", "");

describe("forged API keys against npm run dev", () => {
	let t: Registered;

	beforeAll(async () => {
		t = await register("forged");
	});

	it("made-up tenants, garbled and truncated keys: all 401, and no tenant object is created", async () => {
		const real = t.api_key.key;
		const before = objectFiles();
		// The counter sees this tenant's object (and the layout it counts is the real one).
		expect(before.length).toBeGreaterThan(0);

		const forged: string[] = [];
		for (let i = 0; i < 100; i++) forged.push(real.replace(t.tenant.id, hex32()));
		for (let i = 3; i < real.length; i += 3) forged.push(real.slice(0, i) + (real[i] === "0" ? "1" : "0") + real.slice(i + 1));
		for (let n = 10; n < real.length; n += 9) forged.push(real.slice(0, n));
		for (let i = 0; i < 20; i++) forged.push(`ps_${hex32().slice(0, 4)}_${hex32()}_${"A".repeat(43)}_${"B".repeat(22)}`);

		const routes: [string, string, string?][] = [
			["POST", "/api/v1/ingestion/events", JSON.stringify({ event_type: "custom" })],
			["POST", "/api/v1/ingestion/events/batch", JSON.stringify({ events: [{ event_type: "custom" }] })],
			["GET", "/api/v1/ingestion/stats"],
			["GET", "/api/v1/ingestion/events/search"],
			["GET", "/api/v1/dashboard/overview"],
		];
		const statuses = new Map<number, number>();
		// Ten at a time: a flood, without tripping the local server's connection limits.
		for (let i = 0; i < forged.length; i += 10) {
			const answers = await Promise.all(
				forged.slice(i, i + 10).map(async (key, j) => {
					const [method, path, body] = routes[(i + j) % routes.length]!;
					const res = await fetch(`${base}${path}`, { method, headers: { "Content-Type": "application/json", "X-API-Key": key }, body });
					const json = (await res.json()) as { error?: { code: string } };
					expect(json.error?.code).toBe("UNAUTHORIZED");
					return res.status;
				}),
			);
			for (const s of answers) statuses.set(s, (statuses.get(s) ?? 0) + 1);
		}
		expect(Object.fromEntries(statuses)).toEqual({ 401: forged.length });
		expect(forged.length).toBeGreaterThan(150);

		// Give a lazily created file time to appear, then count again.
		await new Promise((r) => setTimeout(r, 500));
		expect(objectFiles()).toEqual(before);

		// A real new tenant does add a file: the count above could have changed.
		await register("control");
		expect(objectFiles().length).toBe(before.length + 1);
	});
});

describe("a browser on another origin, over HTTP", () => {
	const origin = "https://shop.example";
	let t: Registered;
	let publishable: string;

	beforeAll(async () => {
		t = await register("cors");
		const res = await fetch(`${base}/api/v1/api-keys`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Authorization: `Bearer ${t.access_token}` },
			body: JSON.stringify({ name: "web page", scopes: ["ingest"] }),
		});
		expect(res.status).toBe(201);
		publishable = ((await res.json()) as { key: string }).key;
	});

	it("preflights, sends a user_action with a publishable key and reads the answer; that key reads nothing", async () => {
		const pre = await fetch(`${base}/api/v1/ingestion/events`, {
			method: "OPTIONS",
			headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key" },
		});
		expect(pre.status).toBe(204);
		expect(pre.headers.get("access-control-allow-origin")).toBe("*");
		expect(pre.headers.get("access-control-allow-methods")).toBe("POST");
		expect(pre.headers.get("access-control-allow-headers")).toMatch(/X-API-Key/i);
		expect(pre.headers.get("access-control-max-age")).toBe("7200");

		const sent = await fetch(`${base}/api/v1/ingestion/events`, {
			method: "POST",
			headers: { Origin: origin, "Content-Type": "application/json", "X-API-Key": publishable },
			body: JSON.stringify({ event_type: "user_action", endpoint: "/checkout", user_id: "visitor-1" }),
		});
		expect(sent.status).toBe(202);
		expect(sent.headers.get("access-control-allow-origin")).toBe("*");
		expect(sent.headers.get("access-control-expose-headers")).toContain("X-RateLimit-Remaining");

		const read = await fetch(`${base}/api/v1/ingestion/events/search`, { headers: { Origin: origin, "X-API-Key": publishable } });
		expect(read.status).toBe(403);
		expect(read.headers.get("access-control-allow-origin")).toBe("*");
		expect(((await read.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");

		const management = await fetch(`${base}/api/v1/api-keys`, { headers: { Origin: origin, Authorization: `Bearer ${t.access_token}` } });
		expect(management.status).toBe(200);
		expect(management.headers.get("access-control-allow-origin")).toBeNull();
		const unknown = await fetch(`${base}/api/v1/ingestion/events`, {
			method: "OPTIONS",
			headers: { Origin: origin, "Access-Control-Request-Method": "DELETE" },
		});
		expect(unknown.status).toBe(404);
	});
});
