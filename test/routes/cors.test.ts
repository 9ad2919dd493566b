import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, bearer, call, errorOf, inFreshWindow, patchTenant, registerTenant, send } from "../helpers";

const ORIGIN = "https://shop.example";
const EXPOSE = "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Request-Id";

/** Every route a browser may call, with its one method. */
const CORS_ROUTES: [string, string][] = [
	["/api/v1/ingestion/events", "POST"],
	["/api/v1/ingestion/events/batch", "POST"],
	["/api/v1/ingestion/events/search", "GET"],
	["/api/v1/ingestion/events/some-event-id", "GET"],
	["/api/v1/ingestion/stats", "GET"],
	["/api/v1/dashboard/overview", "GET"],
	["/api/v1/dashboard/events/stream", "GET"],
	["/api/v1/dashboard/alerts/summary", "GET"],
	["/api/v1/dashboard/metrics/real-time", "GET"],
	["/api/v1/dashboard/connections/stats", "GET"],
];

const preflight = (path: string, method?: string, requestHeaders = "content-type, x-api-key") =>
	call(path, {
		method: "OPTIONS",
		headers: {
			Origin: ORIGIN,
			...(method ? { "Access-Control-Request-Method": method } : {}),
			"Access-Control-Request-Headers": requestHeaders,
		},
	});

function expectReadable(res: Response, what: string) {
	expect(res.headers.get("Access-Control-Allow-Origin"), what).toBe("*");
	expect(res.headers.get("Access-Control-Expose-Headers"), what).toBe(EXPOSE);
}

function expectNoCors(res: Response, what: string) {
	for (const name of ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers"]) {
		expect(res.headers.get(name), `${what}: ${name}`).toBeNull();
	}
}

const post = (path: string, key: string, body: string, type = "application/json") =>
	call(path, { method: "POST", headers: { Origin: ORIGIN, "Content-Type": type, "X-API-Key": key }, body });

describe("CORS preflight", () => {
	it("is 204 on every ingestion and read route, naming the route's method, the headers, and a max age", async () => {
		for (const [path, method] of CORS_ROUTES) {
			const res = await preflight(path, method, "content-type, x-api-key, authorization, x-request-id");
			expect(res.status, path).toBe(204);
			expect(await res.text()).toBe("");
			expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
			expect(res.headers.get("Access-Control-Allow-Methods"), path).toBe(method);
			const allowed = res.headers.get("Access-Control-Allow-Headers")!.split(",").map((h) => h.trim().toLowerCase());
			for (const header of ["content-type", "x-api-key", "authorization", "x-request-id"]) expect(allowed, path).toContain(header);
			expect(res.headers.get("Access-Control-Max-Age")).toBe("7200");
			expect(res.headers.get("X-Request-Id")).toBeTruthy();
		}
	});

	it("a bare OPTIONS (no Access-Control-Request-Method) on a CORS route is answered the same way", async () => {
		const res = await call("/api/v1/ingestion/events", { method: "OPTIONS" });
		expect(res.status).toBe(204);
		expect(res.headers.get("Access-Control-Allow-Methods")).toBe("POST");
	});

	it("for a method the route does not serve, or a route that does not exist, is the 404 envelope, never a 500", async () => {
		for (const [path, method] of [
			["/api/v1/ingestion/events", "DELETE"],
			["/api/v1/ingestion/events", "GET"],
			["/api/v1/ingestion/events/batch", "PUT"],
			["/api/v1/ingestion/stats", "POST"],
			["/api/v1/dashboard/overview", "PATCH"],
			["/api/v1/ingestion/nope", "POST"],
			["/api/v1/nope", "GET"],
			["/api/v2/ingestion/events", "POST"],
			["/api/v1/ingestion/events", "NOT A METHOD"],
		] as const) {
			const res = await preflight(path, method);
			expect(res.status, `${method} ${path}`).toBe(404);
			const error = await errorOf(res);
			expect(error.code).toBe("NOT_FOUND");
			expect(error.request_id).toBe(res.headers.get("X-Request-Id"));
			expect(res.headers.get("Access-Control-Allow-Methods"), `${method} ${path}`).toBeNull();
		}
	});
});

describe("CORS on responses", () => {
	let t: Registered;
	let web: string;
	let reader: string;

	beforeAll(async () => {
		t = await registerTenant();
		const make = async (scopes: string[]) =>
			(await (await send("POST", "/api/v1/api-keys", t.access_token, { name: scopes.join("+"), scopes })).json<{ key: string }>()).key;
		web = await make(["ingest"]);
		reader = await make(["read"]);
	});

	it("a web page sends user_action events with a publishable ingest-only key, reads the answer, and that key reads nothing", async () => {
		const res = await post("/api/v1/ingestion/events", web, JSON.stringify({ event_type: "user_action", endpoint: "/checkout", user_id: "u1" }));
		expect(res.status).toBe(202);
		expectReadable(res, "202");
		expect(res.headers.get("X-RateLimit-Remaining")).toMatch(/^\d+$/);
		const batch = await post("/api/v1/ingestion/events/batch", web, JSON.stringify({ events: [{ event_type: "user_action" }] }));
		expect(batch.status).toBe(200);
		expectReadable(batch, "batch 200");

		for (const [path] of CORS_ROUTES.filter(([, m]) => m === "GET")) {
			const read = await call(path, { headers: { Origin: ORIGIN, "X-API-Key": web } });
			expect(read.status, path).toBe(403);
			expectReadable(read, `403 ${path}`);
		}
	});

	it("read routes answer cross-origin readers with a read key or a user token", async () => {
		// Every GET route but get-by-id (its made-up id is a 404, covered with the errors below).
		for (const [path] of CORS_ROUTES.filter(([p, m]) => m === "GET" && !p.includes("some-event-id"))) {
			for (const headers of [{ "X-API-Key": reader }, bearer(t.access_token)]) {
				const res = await call(path, { headers: { Origin: ORIGIN, ...headers } });
				expect(res.status, path).toBe(200);
				expectReadable(res, path);
			}
		}
	});

	it("every error is readable too: 400, 401, 403, 404, 413, 415, 422", async () => {
		const cases: [Promise<Response>, number][] = [
			[post("/api/v1/ingestion/events", web, "{"), 400],
			[call("/api/v1/ingestion/events", { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: "{}" }), 401],
			[post("/api/v1/ingestion/events", "ps_garbage", "{}"), 401],
			[call("/api/v1/ingestion/stats", { headers: { Origin: ORIGIN } }), 401],
			[post("/api/v1/ingestion/events", reader, JSON.stringify({ event_type: "custom" })), 403],
			[call("/api/v1/ingestion/events/no-such-event", { headers: { Origin: ORIGIN, "X-API-Key": reader } }), 404],
			[post("/api/v1/ingestion/events", web, JSON.stringify({ event_type: "custom", payload: { b: "x".repeat(1024 * 1024) } })), 413],
			[post("/api/v1/ingestion/events", web, "a,b", "text/csv"), 415],
			[post("/api/v1/ingestion/events", web, JSON.stringify({ event_type: "nope" })), 422],
			[call("/api/v1/ingestion/events/search?limit=5000", { headers: { Origin: ORIGIN, "X-API-Key": reader } }), 422],
			[call("/api/v1/dashboard/overview?window=7m", { headers: { Origin: ORIGIN, "X-API-Key": reader } }), 422],
		];
		for (const [pending, status] of cases) {
			const res = await pending;
			expect(res.status).toBe(status);
			expectReadable(res, String(status));
		}
	});

	it("a 429 is readable, with Retry-After among the exposed headers", async () => {
		const limited = await registerTenant();
		expect((await patchTenant(limited, { rate_limit_per_minute: 1 })).status).toBe(200);
		await inFreshWindow();
		const body = JSON.stringify({ event_type: "user_action" });
		expect((await post("/api/v1/ingestion/events", limited.api_key.key, body)).status).toBe(202);
		const res = await post("/api/v1/ingestion/events", limited.api_key.key, body);
		expect(res.status).toBe(429);
		expectReadable(res, "429");
		expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
	});
});

describe("management routes stay same-origin", () => {
	it("carry no CORS headers, and OPTIONS on them is the router's 404", async () => {
		const t = await registerTenant();
		const responses: [string, Response][] = [
			["GET /api-keys", await call("/api/v1/api-keys", { headers: { Origin: ORIGIN, ...bearer(t.access_token) } })],
			["GET /tenant", await call("/api/v1/tenant", { headers: { Origin: ORIGIN, ...bearer(t.access_token) } })],
			["GET /auth/profile", await call("/api/v1/auth/profile", { headers: { Origin: ORIGIN, ...bearer(t.access_token) } })],
			["GET /alerting/rules", await call("/api/v1/alerting/rules", { headers: { Origin: ORIGIN, ...bearer(t.access_token) } })],
			["POST /auth/login", await call("/api/v1/auth/login", { method: "POST", headers: { Origin: ORIGIN, "Content-Type": "application/json" }, body: "{}" })],
			["GET /dashboard/ws", await call(`/api/v1/dashboard/ws/${t.tenant.id}`, { headers: { Origin: ORIGIN } })],
		];
		for (const [what, res] of responses) {
			expect(res.status, what).toBeLessThan(500);
			expectNoCors(res, what);
		}
		for (const [path, method] of [
			["/api/v1/api-keys", "POST"],
			["/api/v1/tenant", "PATCH"],
			["/api/v1/auth/login", "POST"],
			["/api/v1/auth/register/tenant", "POST"],
			["/api/v1/alerting/rules", "GET"],
			[`/api/v1/dashboard/ws/${t.tenant.id}`, "GET"],
		] as const) {
			const res = await preflight(path, method);
			expect(res.status, path).toBe(404);
			expect((await errorOf(res)).code).toBe("NOT_FOUND");
			expectNoCors(res, `OPTIONS ${path}`);
		}
	});
});
