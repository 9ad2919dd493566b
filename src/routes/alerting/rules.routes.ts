import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { RuleInputSchema, RuleListSchema, RulePatchSchema, RuleSchema } from "./rules.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/rules";

export const listRules = createRoute({
	method: "get",
	path: PATH,
	operationId: "listAlertRules",
	tags,
	summary: "The tenant's alert rules, oldest first (viewer+; at most 200, so no paging)",
	security,
	middleware: [requireUser("viewer")] as const,
	responses: {
		200: { description: "Rules", content: jsonContent(RuleListSchema) },
		...errorResponses(401, 403),
	},
});

export const createRule = createRoute({
	method: "post",
	path: PATH,
	operationId: "createAlertRule",
	tags,
	summary: "Create an alert rule (admin+; at most 200 per tenant)",
	description:
		"Its channels and escalation policy must be the tenant's (404 naming the id otherwise). " +
		"A rule `event_count lt 1` filtered on a `source` is a heartbeat monitor.",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(RuleInputSchema) } },
	responses: {
		201: { description: "The rule, defaults filled in", content: jsonContent(RuleSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const getRule = createRoute({
	method: "get",
	path: `${PATH}/{id}`,
	operationId: "getAlertRule",
	tags,
	summary: "One alert rule (viewer+)",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The rule", content: jsonContent(RuleSchema) },
		...errorResponses(401, 403, 404),
	},
});

export const patchRule = createRoute({
	method: "patch",
	path: `${PATH}/{id}`,
	operationId: "updateAlertRule",
	tags,
	summary: "Change any fields of a rule (admin+); the merged rule is validated whole",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(RulePatchSchema) } },
	responses: {
		200: { description: "The updated rule", content: jsonContent(RuleSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const deleteRule = createRoute({
	method: "delete",
	path: `${PATH}/{id}`,
	operationId: "deleteAlertRule",
	tags,
	summary: "Delete an alert rule (admin+)",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Deleted" },
		...errorResponses(401, 403, 404),
	},
});
