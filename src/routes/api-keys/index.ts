import { createRouter } from "../../lib/router";
import { createApiKeyHandler, listApiKeysHandler, revokeApiKeyHandler } from "./api-keys.handlers";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys.routes";

export const apiKeyRoutes = createRouter()
	.openapi(listApiKeys, listApiKeysHandler)
	.openapi(createApiKey, createApiKeyHandler)
	.openapi(revokeApiKey, revokeApiKeyHandler);
