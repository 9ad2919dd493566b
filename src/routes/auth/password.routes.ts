import { createRoute } from "@hono/zod-openapi";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { jsonContent } from "../../lib/router";
import { AcceptedSchema, ResetConfirmSchema, ResetRequestSchema } from "./auth.schemas";

export const requestReset = createRoute({
	method: "post",
	path: "/auth/password-reset/request",
	summary: "Email a password reset link (valid one hour, once)",
	operationId: "requestPasswordReset",
	tags: ["Auth"],
	security: [],
	description:
		"Always 202, whether or not the account exists, and in the same time: the lookup and the email happen after the answer.",
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: jsonContent(ResetRequestSchema) } },
	responses: {
		202: { description: "Accepted", content: jsonContent(AcceptedSchema) },
		...errorResponses(400, 413, 415, 422, 429),
	},
});

export const confirmReset = createRoute({
	method: "post",
	path: "/auth/password-reset/confirm",
	summary: "Set a new password with the token from the email",
	operationId: "confirmPasswordReset",
	tags: ["Auth"],
	security: [],
	description:
		"An unknown, used or expired token is 401. On success every session of the user ends and the sign-in lockout is lifted.",
	middleware: [jsonBody] as const,
	request: { body: { required: true, content: jsonContent(ResetConfirmSchema) } },
	responses: {
		204: { description: "Password set" },
		...errorResponses(400, 401, 413, 415, 422),
	},
});
