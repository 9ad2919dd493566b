import { createRoute } from "@hono/zod-openapi";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { jsonContent } from "../../lib/router";
import { RegisterTenantSchema, RegisteredSchema } from "./auth.schemas";

export const registerTenant = createRoute({
	method: "post",
	path: "/auth/register/tenant",
	summary: "Create a tenant, its owner, a first API key and a token pair",
	operationId: "registerTenant",
	tags: ["Auth"],
	description: "The registering user becomes the tenant's `owner`. The answer carries the first API key in full (the only time it is shown) and a token pair; a slug already taken is 409.",
	security: [],
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: jsonContent(RegisterTenantSchema) } },
	responses: {
		201: {
			description: "Created; the API key is shown in full only here",
			content: jsonContent(RegisteredSchema),
		},
		...errorResponses(400, 409, 413, 415, 422, 429),
	},
});
