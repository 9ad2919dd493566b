import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Role } from "./jwt";

/** Who is calling: a producer's API key, or a person's access token. */
export type Principal =
	| { kind: "key"; tenantId: string }
	| { kind: "user"; tenantId: string; userId: string; role: Role };

export type AppEnv = {
	Bindings: Env;
	Variables: { requestId: string; principal: Principal };
};

export type App = OpenAPIHono<AppEnv>;
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
