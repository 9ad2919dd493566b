import { createRoute } from "@hono/zod-openapi";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { RegisterTenantSchema, RegisteredSchema } from "./auth.schemas";

export const registerTenant = createRoute({
	method: "post",
	path: "/auth/register/tenant",
	summary: "Create a tenant, its owner, a first API key and a token pair",
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: { "application/json": { schema: RegisterTenantSchema } } } },
	responses: {
		201: {
			description: "Created; the API key is shown in full only here",
			content: { "application/json": { schema: RegisteredSchema } },
		},
		...errorResponses(400, 409, 413, 415, 422),
	},
});
