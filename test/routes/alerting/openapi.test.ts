import { describe, expect, it } from "vitest";
import { call } from "../../helpers";

type Op = { operationId?: string; summary?: string; tags?: string[]; security?: unknown; responses: Record<string, unknown> };

describe("alerting in the OpenAPI document", () => {
	it("documents every alerting route with its credential, summary, tags and error statuses", async () => {
		const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, Op>> }>();
		const expected: Record<string, string[]> = {
			"/api/v1/alerting/channels": ["get", "post"],
			"/api/v1/alerting/channels/{id}": ["get", "patch", "delete"],
			"/api/v1/alerting/channels/{id}/test": ["post"],
			"/api/v1/alerting/rules": ["get", "post"],
			"/api/v1/alerting/rules/{id}": ["get", "patch", "delete"],
			"/api/v1/alerting/escalation-policies": ["get", "post"],
			"/api/v1/alerting/escalation-policies/{id}": ["get", "patch", "delete"],
			"/api/v1/alerting/silences": ["get", "post"],
			"/api/v1/alerting/silences/{id}": ["get", "patch", "delete"],
			"/api/v1/alerting/alerts": ["get"],
			"/api/v1/alerting/alerts/{id}": ["get"],
			"/api/v1/alerting/alerts/{id}/acknowledge": ["post"],
			"/api/v1/alerting/alerts/{id}/resolve": ["post"],
			"/api/v1/alerting/alerts/{id}/escalate": ["post"],
			"/api/v1/alerting/notifications": ["get"],
		};
		const operationIds = new Set<string>();
		for (const [path, methods] of Object.entries(expected)) {
			expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
			for (const method of methods) {
				const op = doc.paths[path]![method]!;
				expect(op.security, `${method} ${path}`).toEqual([{ Bearer: [] }]);
				expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
				expect(op.tags).toEqual(["Alerting"]);
				expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "500"]));
				operationIds.add(op.operationId!);
			}
		}
		expect(operationIds.size).toBe(27);
		const patch = doc.paths["/api/v1/alerting/rules/{id}"]!.patch!;
		expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(["200", "400", "404", "409", "415", "422"]));
		expect(Object.keys(doc.paths["/api/v1/alerting/alerts/{id}/resolve"]!.post!.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
		expect(Object.keys(doc.paths["/api/v1/alerting/channels/{id}/test"]!.post!.responses)).toEqual(expect.arrayContaining(["202", "404"]));
	});
});
