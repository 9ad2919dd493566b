import { OpenAPIHono, z } from "@hono/zod-openapi";
import { validationError } from "./errors";
import type { AppEnv } from "./types";

export const VERSION = "0.1.0";

/** `content` of an OpenAPI request or response body in JSON. */
export const jsonContent = <T>(schema: T) => ({ "application/json": { schema } });

/** A sub-app whose zod validation failures render the contract's 422 envelope. */
export function createRouter() {
	return new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (!result.success) throw validationError(result.error);
		},
	});
}

/** `{id}` in a path: opaque; an id that is not the caller's tenant's is a 404 in the handler. */
export const IdParam = z.object({
	id: z.string().min(1).openapi({ param: { name: "id", in: "path" } }),
});
