import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PUBLIC_OPERATIONS } from "../../src/openapi";
import { BASE, call } from "../helpers";

type Op = { operationId?: string; summary?: string; description?: string; tags?: string[]; security?: Record<string, string[]>[] };
type Doc = {
	openapi: string;
	info: { title: string; description?: string; contact?: unknown };
	servers?: { url: string }[];
	tags?: { name: string; description?: string }[];
	paths: Record<string, Record<string, Op>>;
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

async function document(): Promise<Doc> {
	const res = await call("/openapi.json");
	expect(res.status).toBe(200);
	return res.json<Doc>();
}

const byWhere = (ops: [string, Op][]) => Object.fromEntries(ops);

function operations(doc: Doc): [string, Op][] {
	return Object.entries(doc.paths).flatMap(([path, item]) =>
		METHODS.filter((m) => item[m]).map((m): [string, Op] => [`${m} ${path}`, item[m]!]),
	);
}

describe("GET /openapi.json", () => {
	it("gives every operation a unique camelCase operationId, a summary and one declared tag", async () => {
		const doc = await document();
		expect(doc.openapi).toBe("3.1.0");
		const tags = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
		expect([...tags.keys()]).toEqual(expect.arrayContaining(["Health", "Auth", "Users", "API keys", "Tenant", "Ingestion", "Alerting", "Dashboard"]));
		for (const [name, description] of tags) expect(description, name).toEqual(expect.any(String));
		const ops = operations(doc);
		expect(ops.length).toBeGreaterThanOrEqual(59);
		const ids = new Set<string>();
		for (const [where, op] of ops) {
			expect(op.operationId, where).toMatch(/^[a-z][a-z]+[A-Z][A-Za-z0-9]*$/);
			expect(ids.has(op.operationId!), `${where}: ${op.operationId} twice`).toBe(false);
			ids.add(op.operationId!);
			expect(op.summary, where).toEqual(expect.any(String));
			expect(op.tags, where).toHaveLength(1);
			expect(tags.has(op.tags![0]!), `${where}: tag ${op.tags![0]} is not declared`).toBe(true);
		}
		// A few by name, so a renamed id is a visible change of the public contract.
		const byPath = Object.fromEntries(ops.map(([where, op]) => [where, op]));
		expect(byPath["post /api/v1/ingestion/events"]).toMatchObject({ operationId: "ingestEvent", tags: ["Ingestion"] });
		expect(byPath["get /api/v1/ingestion/events/search"]).toMatchObject({ operationId: "searchEvents", tags: ["Ingestion"] });
		expect(byPath["post /api/v1/auth/login"]).toMatchObject({ operationId: "loginUser", tags: ["Auth"] });
		expect(byPath["get /health"]).toMatchObject({ operationId: "getHealth", tags: ["Health"] });
	});

	it("declares security [] on public routes and a credential on every other one", async () => {
		const doc = await document();
		const schemes = Object.keys((doc as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes);
		expect(schemes).toEqual(expect.arrayContaining(["ApiKey", "Bearer", "AccessTokenQuery", "OperatorToken"]));
		const ops = operations(doc);
		// The dashboard socket takes its access token in the query, and says so.
		expect(byWhere(ops)["get /api/v1/dashboard/ws/{tenant_id}"]!.security).toEqual([{ AccessTokenQuery: [] }]);
		const open = ops.filter(([, op]) => Array.isArray(op.security) && op.security.length === 0).map(([where]) => where);
		expect(open.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
		for (const [where, op] of ops) {
			expect(Array.isArray(op.security), `${where} declares no security`).toBe(true);
			for (const requirement of op.security!) for (const scheme of Object.keys(requirement)) expect(schemes, where).toContain(scheme);
		}
	});

	it("names this deployment's origin in servers, and has an info description and contact", async () => {
		const doc = await document();
		expect(doc.servers).toEqual([{ url: BASE, description: "This deployment" }]);
		const other = await (await exports.default.fetch(new Request("http://localhost:8787/openapi.json"))).json<Doc>();
		expect(other.servers?.[0]?.url).toBe("http://localhost:8787");
		expect(doc.info.description).toEqual(expect.any(String));
		expect(doc.info.contact).toBeTruthy();
	});

	it("documents limits as integers whose default fits the type (a string schema with a numeric default fails linting)", async () => {
		const doc = await document();
		const params = (doc.paths["/api/v1/ingestion/events/search"]!.get as unknown as { parameters: { name: string; schema: Record<string, unknown> }[] }).parameters;
		expect(params.find((p) => p.name === "limit")!.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000, default: 100 });
	});
});
