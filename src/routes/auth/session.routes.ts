import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { jsonContent } from "../../lib/router";
import { LoggedInSchema, LoginSchema, LogoutSchema, RefreshSchema, TokenPairSchema } from "./auth.schemas";

export const login = createRoute({
	method: "post",
	path: "/auth/login",
	summary: "Sign in with tenant slug, email and password",
	operationId: "loginUser",
	tags: ["Auth"],
	security: [],
	description:
		"Wrong credentials are one 401 that never says which part was wrong. Five failures in a row lock the account for 15 minutes (429 ACCOUNT_LOCKED with Retry-After).",
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: jsonContent(LoginSchema) } },
	responses: {
		200: { description: "A token pair and the user", content: jsonContent(LoggedInSchema) },
		...errorResponses(400, 401, 413, 415, 422, 429),
	},
});

export const refresh = createRoute({
	method: "post",
	path: "/auth/refresh",
	summary: "Exchange a refresh token for a new pair (rotation)",
	operationId: "refreshTokens",
	tags: ["Auth"],
	security: [],
	description: "Each refresh token works once. Presenting one that was already used revokes its whole session.",
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: jsonContent(RefreshSchema) } },
	responses: {
		200: { description: "A new token pair", content: jsonContent(TokenPairSchema) },
		...errorResponses(400, 401, 413, 415, 422),
	},
});

export const logout = createRoute({
	method: "post",
	path: "/auth/logout",
	summary: "End a session: its refresh and access tokens stop working",
	operationId: "logoutUser",
	tags: ["Auth"],
	description: "Send the session's `refresh_token`. Other sessions of the user stay signed in.",
	security: [{ Bearer: [] }],
	middleware: [requireUser(), jsonBody] as const,
	request: { body: { required: false, content: jsonContent(LogoutSchema) } },
	responses: {
		204: { description: "Signed out" },
		...errorResponses(400, 401, 413, 415, 422),
	},
});
