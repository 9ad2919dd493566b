import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { ApiKeyListSchema, CreateApiKeySchema, CreatedApiKeySchema } from "./api-keys.schemas";

const security = [{ Bearer: [] }];

export const listApiKeys = createRoute({
	method: "get",
	path: "/api-keys",
	summary: "The tenant's API keys, revoked ones included, newest first (admin+)",
	operationId: "listApiKeys",
	tags: ["API keys"],
	description: "Name, prefix and times of each key; the key itself is never shown after its creation.",
	security,
	middleware: [requireUser("admin")] as const,
	responses: {
		200: { description: "Keys (never the key itself)", content: jsonContent(ApiKeyListSchema) },
		...errorResponses(401, 403),
	},
});

export const createApiKey = createRoute({
	method: "post",
	path: "/api-keys",
	summary: "Create an API key (admin+); the key is shown only in this response",
	operationId: "createApiKey",
	tags: ["API keys"],
	description: "A tenant may hold several active keys, so producers can move to a new key before the old one is revoked.",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(CreateApiKeySchema) } },
	responses: {
		201: { description: "The new key", content: jsonContent(CreatedApiKeySchema) },
		...errorResponses(400, 401, 403, 413, 415, 422),
	},
});

export const revokeApiKey = createRoute({
	method: "delete",
	path: "/api-keys/{id}",
	summary: "Revoke an API key (admin+); the next request with it is refused",
	operationId: "revokeApiKey",
	tags: ["API keys"],
	description: "A revoked key is refused with 401 from the very next request on; the events it sent stay.",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Revoked (also when it already was)" },
		...errorResponses(401, 403, 404),
	},
});
