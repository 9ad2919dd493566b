import { describe, expect, it } from "vitest";
import { call } from "../../helpers";

type Param = { name: string; in: string; schema?: Record<string, unknown> };
type Op = { operationId?: string; summary?: string; tags?: string[]; security?: unknown; parameters?: Param[]; responses: Record<string, unknown> };

describe("dashboard REST in the OpenAPI document", () => {
	it("documents each route with both credentials, an operationId, a summary, its query and error statuses", async () => {
		const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, Op>> }>();
		const expected: Record<string, { id: string; query: string[] }> = {
			"/api/v1/dashboard/overview": { id: "getDashboardOverview", query: ["window"] },
			"/api/v1/dashboard/events/stream": { id: "getDashboardEventStream", query: ["limit"] },
			"/api/v1/dashboard/alerts/summary": { id: "getDashboardAlertsSummary", query: [] },
			"/api/v1/dashboard/metrics/real-time": { id: "getDashboardMetrics", query: ["window", "bucket"] },
		};
		for (const [path, { id, query }] of Object.entries(expected)) {
			const op = doc.paths[path]?.get;
			expect(op, path).toBeDefined();
			expect(op!.operationId).toBe(id);
			expect(op!.tags).toEqual(["Dashboard"]);
			expect(op!.summary).toEqual(expect.any(String));
			expect(op!.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
			expect((op!.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name)).toEqual(query);
			expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(["200", "401", "500", ...(query.length ? ["422"] : [])]));
		}
		const window = doc.paths["/api/v1/dashboard/overview"]!.get!.parameters!.find((p) => p.name === "window")!;
		expect(window.schema).toMatchObject({ enum: ["5m", "15m", "1h", "6h", "24h"], default: "1h" });
	});
});
