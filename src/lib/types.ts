import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Role } from "./jwt";
import type { Scope } from "./scopes";

/** Who is calling: a producer's API key, or a person's access token. */
export type UserPrincipal = {
	kind: "user";
	tenantId: string;
	userId: string;
	role: Role;
	/** The session (refresh family) the access token belongs to. */
	sessionId: string;
	email: string;
};
/** An API key, with what it may do (scopes.ts). */
export type KeyPrincipal = { kind: "key"; tenantId: string; scopes: Scope[] };
export type Principal = KeyPrincipal | UserPrincipal;

export type AppEnv = {
	Bindings: Env;
	Variables: {
		requestId: string;
		principal: Principal;
		/** Set by requireUser: the signed-in person on management routes. */
		user: UserPrincipal;
	};
};

export type App = OpenAPIHono<AppEnv>;
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
