import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { PolicyInputSchema, PolicyListSchema, PolicyPatchSchema, PolicySchema } from "./policies.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/escalation-policies";

export const listPolicies = createRoute({
	method: "get",
	path: PATH,
	operationId: "listEscalationPolicies",
	tags,
	summary: "The tenant's escalation policies, oldest first (viewer+)",
	security,
	middleware: [requireUser("viewer")] as const,
	responses: {
		200: { description: "Policies", content: jsonContent(PolicyListSchema) },
		...errorResponses(401, 403),
	},
});

export const createPolicy = createRoute({
	method: "post",
	path: PATH,
	operationId: "createEscalationPolicy",
	tags,
	summary: "Create an escalation policy (admin+; its channels must be the tenant's)",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(PolicyInputSchema) } },
	responses: {
		201: { description: "The policy", content: jsonContent(PolicySchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const getPolicy = createRoute({
	method: "get",
	path: `${PATH}/{id}`,
	operationId: "getEscalationPolicy",
	tags,
	summary: "One escalation policy (viewer+)",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The policy", content: jsonContent(PolicySchema) },
		...errorResponses(401, 403, 404),
	},
});

export const patchPolicy = createRoute({
	method: "patch",
	path: `${PATH}/{id}`,
	operationId: "updateEscalationPolicy",
	tags,
	summary: "Change an escalation policy's name, steps or repeat (admin+)",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(PolicyPatchSchema) } },
	responses: {
		200: { description: "The updated policy", content: jsonContent(PolicySchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const deletePolicy = createRoute({
	method: "delete",
	path: `${PATH}/{id}`,
	operationId: "deleteEscalationPolicy",
	tags,
	summary: "Delete an escalation policy that no rule uses (admin+)",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Deleted" },
		...errorResponses(401, 403, 404, 409),
	},
});
