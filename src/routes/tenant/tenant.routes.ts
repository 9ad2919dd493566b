import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { jsonBody } from "../../lib/middleware";
import { TenantPatchSchema, TenantSchema } from "./tenant.schemas";


export const getTenant = createRoute({
	method: "get",
	path: "/tenant",
	summary: "The caller's tenant",
	operationId: "getTenant",
	tags: ["Tenant"],
	description: "Name, slug, rate limit and retention of the tenant the credential belongs to.",
	security: [{ Bearer: [] }],
	middleware: [requireUser()] as const,
	responses: {
		200: { description: "The tenant", content: jsonContent(TenantSchema) },
		...errorResponses(401),
	},
});

export const patchTenant = createRoute({
	method: "patch",
	path: "/tenant",
	summary: "Change name, rate limit or retention (owner or admin)",
	operationId: "updateTenant",
	tags: ["Tenant"],
	description: "A new rate limit applies to the next ingestion request, a new retention to the next hourly housekeeping run.",
	security: [{ Bearer: [] }],
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(TenantPatchSchema) } },
	responses: {
		200: { description: "The updated tenant", content: jsonContent(TenantSchema) },
		...errorResponses(400, 401, 403, 409, 413, 415, 422),
	},
});
