import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, bearer, call, errorOf, flush, ingest, registerTenant, send } from "../../helpers";
import { patchAsOperator } from "../operator/operator";
import { bearerKey, scrape } from "./scrape";

const METRICS = "/api/v1/metrics";

async function createKey(t: Registered, scopes: string[]): Promise<{ id: string; key: string }> {
	const res = await send("POST", "/api/v1/api-keys", t.access_token, { name: scopes.join("+"), scopes });
	if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
	return res.json();
}

async function expectError(res: Response, status: number, code: string, what: string) {
	expect(res.status, what).toBe(status);
	expect(res.headers.get("content-type"), what).toContain("application/json");
	const error = await errorOf(res);
	expect(error.code, what).toBe(code);
	expect(error.request_id, what).toBeTruthy();
}

let t: Registered;
let other: Registered;

beforeAll(async () => {
	[t, other] = await Promise.all([registerTenant(), registerTenant()]);
	await ingest(t, { event_type: "api_call", endpoint: "/mine-only", method: "GET", status_code: 200, response_time_ms: 3 });
	await ingest(other, { event_type: "api_call", endpoint: "/theirs-only", method: "PUT", status_code: 204 });
	await Promise.all([flush(t.tenant.id), flush(other.tenant.id)]);
});

describe("GET /api/v1/metrics: who may scrape", () => {
	it("a read key as Bearer (Prometheus' authorization block), as X-API-Key, or a user access token", async () => {
		const readOnly = await createKey(t, ["read"]);
		for (const [what, headers] of [
			["bearer key", bearerKey(t)],
			["bearer read-only key", bearer(readOnly.key)],
			["x-api-key", { "X-API-Key": t.api_key.key }],
			["user token", bearer(t.access_token)],
		] as const) {
			const m = await scrape(t, headers);
			expect(m.get("pulsestream_api_calls_total", { endpoint: "/mine-only", method: "GET", status_class: "2xx" }), what).toBe(1);
		}
	});

	it("only ever shows the caller's own tenant", async () => {
		const mine = await scrape(t);
		const theirs = await scrape(other);
		expect(mine.text).not.toContain("/theirs-only");
		expect(theirs.text).not.toContain("/mine-only");
		expect(theirs.get("pulsestream_api_calls_total", { endpoint: "/theirs-only", method: "PUT", status_class: "2xx" })).toBe(1);
		expect(theirs.get("pulsestream_events_total", { event_type: "api_call" })).toBe(1);
	});

	it("an ingest-only (publishable) key is 403, whichever header carries it", async () => {
		const publishable = await createKey(t, ["ingest"]);
		await expectError(await call(METRICS, { headers: bearer(publishable.key) }), 403, "FORBIDDEN", "bearer");
		await expectError(await call(METRICS, { headers: { "X-API-Key": publishable.key } }), 403, "FORBIDDEN", "x-api-key");
	});

	it("missing, garbage, forged, revoked or non-bearer credentials are 401 in the error envelope", async () => {
		const revoked = await createKey(t, ["read"]);
		expect((await send("DELETE", `/api/v1/api-keys/${revoked.id}`, t.access_token)).status).toBe(204);
		const tail = t.api_key.key.endsWith("AAA") ? "BBB" : "AAA";
		const forged = `${t.api_key.key.slice(0, -3)}${tail}`;
		for (const [what, headers] of [
			["none", {}],
			["garbage bearer", bearer("garbage")],
			["garbage key-shaped bearer", bearer("ps_garbage")],
			["forged bearer key", bearer(forged)],
			["forged x-api-key", { "X-API-Key": forged }],
			["revoked bearer key", bearer(revoked.key)],
			["a jwt-shaped bearer", bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")],
			["basic auth", { Authorization: `Basic ${btoa(`user:${t.api_key.key}`)}` }],
			["two keys", { "X-API-Key": `${t.api_key.key}, ${t.api_key.key}` }],
		] as [string, Record<string, string>][]) {
			await expectError(await call(METRICS, { headers }), 401, "UNAUTHORIZED", what);
		}
	});

	it("a suspended tenant's key and token are 403; lifted, the scrape works again", async () => {
		const s = await registerTenant();
		expect((await patchAsOperator(s.tenant.id, { suspended: true })).status).toBe(200);
		await expectError(await call(METRICS, { headers: bearerKey(s) }), 403, "FORBIDDEN", "bearer key");
		await expectError(await call(METRICS, { headers: bearer(s.access_token) }), 403, "FORBIDDEN", "user token");
		expect((await patchAsOperator(s.tenant.id, { suspended: false })).status).toBe(200);
		expect((await scrape(s)).get("pulsestream_errors_total")).toBe(0);
	});
});

describe("GET /api/v1/metrics: CORS, as for the other read routes", () => {
	it("answers a preflight for GET and carries the CORS headers on success and on errors", async () => {
		const pre = await call(METRICS, {
			method: "OPTIONS",
			headers: { Origin: "https://grafana.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
		});
		expect(pre.status).toBe(204);
		expect(pre.headers.get("access-control-allow-origin")).toBe("*");
		expect(pre.headers.get("access-control-allow-methods")).toBe("GET");
		expect(pre.headers.get("access-control-allow-headers")).toContain("Authorization");
		expect(pre.headers.get("access-control-max-age")).toBeTruthy();
		for (const headers of [bearerKey(t), {}]) {
			const res = await call(METRICS, { headers: { Origin: "https://grafana.example", ...headers } });
			expect([200, 401]).toContain(res.status);
			expect(res.headers.get("access-control-allow-origin")).toBe("*");
			expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
		}
		const post = await call(METRICS, { method: "OPTIONS", headers: { "Access-Control-Request-Method": "POST" } });
		expect(post.status).toBe(404);
	});

	it("is never cached and carries the headers every answer carries", async () => {
		const res = await call(METRICS, { headers: bearerKey(t) });
		expect(res.headers.get("cache-control")).toBe("no-store");
		expect(res.headers.get("x-content-type-options")).toBe("nosniff");
		expect(res.headers.get("x-request-id")).toBeTruthy();
	});
});
