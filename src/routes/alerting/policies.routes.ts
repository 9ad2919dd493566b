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
	description: "Every policy with its steps.",
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
		description: "Steps are sent in order, each when the alert's age reaches the sum of the delays up to it, until the alert is acknowledged.",
		response: "The policy",
	},
	get: { operationId: "getEscalationPolicy", summary: "One escalation policy (viewer+)", description: "Its steps, each a delay and the channels it notifies.", response: "The policy" },
	update: {
		operationId: "updateEscalationPolicy",
		summary: "Change an escalation policy's name, steps or repeat (admin+)",
		description: "Fields not sent keep their values; channels must be the tenant's.",
		response: "The updated policy",
	},
	remove: { operationId: "deleteEscalationPolicy", summary: "Delete an escalation policy that no rule uses (admin+)", description: "A policy still used by a rule is 409: detach it from the rule first.", errors: [401, 403, 404, 409] },
});
