import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { itemRoutes } from "./crud";
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

export const { create: createPolicy, get: getPolicy, update: patchPolicy, remove: deletePolicy } = itemRoutes({
	path: PATH,
	schemas: { item: PolicySchema, input: PolicyInputSchema, patch: PolicyPatchSchema },
	create: {
		operationId: "createEscalationPolicy",
		summary: "Create an escalation policy (admin+; its channels must be the tenant's)",
		response: "The policy",
	},
	get: { operationId: "getEscalationPolicy", summary: "One escalation policy (viewer+)", response: "The policy" },
	update: {
		operationId: "updateEscalationPolicy",
		summary: "Change an escalation policy's name, steps or repeat (admin+)",
		response: "The updated policy",
	},
	remove: { operationId: "deleteEscalationPolicy", summary: "Delete an escalation policy that no rule uses (admin+)", errors: [401, 403, 404, 409] },
});
