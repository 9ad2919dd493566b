import { createRoute, z } from "@hono/zod-openapi";
import { VERSION, createRouter } from "../../lib/router";
import { log } from "../../lib/log";

const HealthSchema = z
	.object({
		status: z.enum(["healthy", "unhealthy"]),
		version: z.string(),
		timestamp: z.string(),
		checks: z.object({ database: z.string() }),
	})
	.openapi("Health");

const health = createRoute({
	method: "get",
	path: "/health",
	summary: "Liveness and D1 reachability",
	operationId: "getHealth",
	tags: ["Health"],
	description: "200 `healthy` when D1 answers a trivial query, 503 `unhealthy` when it does not: for load balancers and uptime checks.",
	security: [],
	responses: {
		200: { description: "Healthy", content: { "application/json": { schema: HealthSchema } } },
		503: { description: "D1 does not answer", content: { "application/json": { schema: HealthSchema } } },
	},
});

const root = createRoute({
	method: "get",
	path: "/",
	summary: "Service name, version and links",
	operationId: "getServiceInfo",
	tags: ["Health"],
	description: "The deployment's name and version, and links to the health check, this document, the interactive API reference (/docs) and the web dashboard.",
	security: [],
	responses: {
		200: {
			description: "About",
			content: {
				"application/json": {
					schema: z.object({ name: z.string(), version: z.string(), links: z.record(z.string(), z.string()) }),
				},
			},
		},
	},
});

export const healthRoutes = createRouter()
	.openapi(health, async (c) => {
		let database = "ok";
		try {
			await c.env.DB.prepare("SELECT 1").first();
		} catch (err) {
			log("error", "health check: D1 did not answer", { request_id: c.get("requestId"), error: String(err) });
			database = "unreachable";
		}
		const healthy = database === "ok";
		const body = {
			status: healthy ? ("healthy" as const) : ("unhealthy" as const),
			version: VERSION,
			timestamp: new Date().toISOString(),
			checks: { database },
		};
		return healthy ? c.json(body, 200) : c.json(body, 503);
	})
	.openapi(root, (c) =>
		c.json(
			{
				name: "PulseStream",
				version: VERSION,
				links: {
					health: "/health",
					openapi: "/openapi.json",
					docs: "/docs",
					api: "/api/v1",
					register: "/api/v1/auth/register/tenant",
					dashboard: "/dashboard",
				},
			},
			200,
		),
	);
