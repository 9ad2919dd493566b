import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { jsonContent } from "../../lib/router";
import { ChangePasswordSchema, ProfilePatchSchema, UserSchema } from "./auth.schemas";

export const getProfile = createRoute({
	method: "get",
	path: "/auth/profile",
	summary: "The signed-in user",
	operationId: "getProfile",
	tags: ["Auth"],
	description: "The user the access token names; a user object never contains a password hash.",
	security: [{ Bearer: [] }],
	middleware: [requireUser()] as const,
	responses: {
		200: { description: "The user", content: jsonContent(UserSchema) },
		...errorResponses(401),
	},
});

export const patchProfile = createRoute({
	method: "patch",
	path: "/auth/profile",
	summary: "Change one's own name",
	operationId: "updateProfile",
	tags: ["Auth"],
	description: "Only `full_name` changes here; roles and the active state are changed by an admin (Users).",
	security: [{ Bearer: [] }],
	middleware: [requireUser(), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(ProfilePatchSchema) } },
	responses: {
		200: { description: "The updated user", content: jsonContent(UserSchema) },
		...errorResponses(400, 401, 413, 415, 422),
	},
});

export const changePassword = createRoute({
	method: "post",
	path: "/auth/change-password",
	summary: "Change one's password; every other session is signed out",
	operationId: "changePassword",
	tags: ["Auth"],
	description:
		"A wrong current password is 422 (naming `current_password`) and counts towards the sign-in lockout, so a stolen access token cannot be used to guess it.",
	security: [{ Bearer: [] }],
	middleware: [requireUser(), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(ChangePasswordSchema) } },
	responses: {
		204: { description: "Changed" },
		...errorResponses(400, 401, 413, 415, 422, 429),
	},
});
