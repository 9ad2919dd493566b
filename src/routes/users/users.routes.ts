import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { UserSchema } from "../auth/auth.schemas";
import { CreateUserSchema, UserListSchema, UserPatchSchema } from "./users.schemas";

const security = [{ Bearer: [] }];

export const listUsers = createRoute({
	method: "get",
	path: "/auth/users",
	summary: "The tenant's users, deactivated ones included (admin+)",
	operationId: "listUsers",
	tags: ["Users"],
	description: "Every user of the caller's tenant, oldest first.",
	security,
	middleware: [requireUser("admin")] as const,
	responses: {
		200: { description: "Users, oldest first", content: jsonContent(UserListSchema) },
		...errorResponses(401, 403),
	},
});

export const createUser = createRoute({
	method: "post",
	path: "/auth/users",
	summary: "Add a user (admin+; only an owner adds an owner)",
	operationId: "createUser",
	tags: ["Users"],
	description: "The new user signs in with the given password; an email already used in the tenant is 409.",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(CreateUserSchema) } },
	responses: {
		201: { description: "The user", content: jsonContent(UserSchema) },
		...errorResponses(400, 401, 403, 409, 413, 415, 422),
	},
});

export const patchUser = createRoute({
	method: "patch",
	path: "/auth/users/{id}",
	summary: "Change a user's role, name or active state (admin+; owners: owner)",
	operationId: "updateUser",
	tags: ["Users"],
	description:
		"Deactivating signs the user out everywhere. The last active owner cannot be demoted or deactivated (409).",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(UserPatchSchema) } },
	responses: {
		200: { description: "The updated user", content: jsonContent(UserSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const deleteUser = createRoute({
	method: "delete",
	path: "/auth/users/{id}",
	summary: "Deactivate a user (kept for the audit trail; admin+, owners: owner)",
	operationId: "deactivateUser",
	tags: ["Users"],
	description: "The user is marked inactive and signed out everywhere; the row stays, so the audit log still names them. The last active owner cannot be deactivated (409).",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Deactivated" },
		...errorResponses(401, 403, 404, 409),
	},
});
