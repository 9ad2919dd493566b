import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { itemRoutes } from "./crud";
import { RuleInputSchema, RuleListSchema, RulePatchSchema, RuleSchema } from "./rules.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/rules";

export const listRules = createRoute({
	method: "get",
	path: PATH,
	operationId: "listAlertRules",
	tags,
	summary: "The tenant's alert rules, oldest first (viewer+; at most 200, so no paging)",
	description: "Every rule with its condition, channels and labels.",
	security,
	middleware: [requireUser("viewer")] as const,
	responses: {
		200: { description: "Rules", content: jsonContent(RuleListSchema) },
		...errorResponses(401, 403),
	},
});

export const { create: createRule, get: getRule, update: patchRule, remove: deleteRule } = itemRoutes({
	path: PATH,
	schemas: { item: RuleSchema, input: RuleInputSchema, patch: RulePatchSchema },
	create: {
		operationId: "createAlertRule",
		summary: "Create an alert rule (admin+; at most 200 per tenant)",
		description:
			"Its channels and escalation policy must be the tenant's (404 naming the id otherwise). " +
			"A rule `event_count lt 1` filtered on a `source` is a heartbeat monitor.",
		response: "The rule, defaults filled in",
	},
	get: { operationId: "getAlertRule", summary: "One alert rule (viewer+)", description: "The rule with its condition and notification settings.", response: "The rule" },
	update: {
		operationId: "updateAlertRule",
		summary: "Change any fields of a rule (admin+); the merged rule is validated whole",
		description: "Fields not sent keep their values; the tenant's object evaluates the changed rule from its next evaluation on.",
		response: "The updated rule",
	},
	remove: { operationId: "deleteAlertRule", summary: "Delete an alert rule (admin+)", description: "The rule is no longer evaluated." },
});
