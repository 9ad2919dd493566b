import { createRoute } from "@hono/zod-openapi";
import { openApiErrors } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { requireOperator } from "../../lib/operator-auth";
import { IdParam, jsonContent } from "../../lib/router";
import {
	OperatorTenantListSchema,
	OperatorTenantPatchSchema,
	OperatorTenantQuery,
	OperatorTenantSchema,
} from "./operator.schemas";

const tags = ["Operator"];
// The operator token is a bearer credential, but not a user's JWT: its own scheme (registered in app.ts).
const security = [{ OperatorToken: [] }];

/**
 * Error responses picked by hand: errorResponses() adds a tenant suspension's
 * 403 to every route that lists 401, and an operator route never answers 403.
 */
function errors<S extends keyof typeof openApiErrors>(...statuses: S[]) {
	return Object.fromEntries([...statuses, 500 as const].map((s) => [s, openApiErrors[s]])) as Pick<typeof openApiErrors, S | 500>;
}

export const listOperatorTenants = createRoute({
	method: "get",
	path: "/operator/tenants",
	operationId: "listOperatorTenants",
	tags,
	summary: "List the deployment's tenants, oldest first (operator)",
	description:
		"Every tenant of this deployment with its limits, plan ceilings and suspension, oldest first and paged by `cursor`; " +
		"`slug` narrows the list to one tenant. Needs the deployment's OPERATOR_TOKEN; no tenant credential is accepted.",
	security,
	middleware: [requireOperator] as const,
	request: { query: OperatorTenantQuery },
	responses: {
		200: { description: "A page of tenants and the cursor of the next", content: jsonContent(OperatorTenantListSchema) },
		...errors(401, 422),
	},
});

export const getOperatorTenant = createRoute({
	method: "get",
	path: "/operator/tenants/{id}",
	operationId: "getOperatorTenant",
	tags,
	summary: "A tenant with its limits, ceilings and suspension (operator)",
	description: "One tenant as operators see it: its chosen limits, its plan ceilings and whether it is suspended. An unknown id is a 404.",
	security,
	middleware: [requireOperator] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The tenant", content: jsonContent(OperatorTenantSchema) },
		...errors(401, 404),
	},
});

export const patchOperatorTenant = createRoute({
	method: "patch",
	path: "/operator/tenants/{id}",
	operationId: "updateOperatorTenant",
	tags,
	summary: "Change a tenant's ceilings, limits or suspension (operator)",
	description:
		"Lowering a ceiling below the tenant's value lowers the value; a value above its (new) ceiling is 422. " +
		"The change applies to the tenant's next ingestion request. Suspension keeps all data; lifting it restores keys and sessions.",
	security,
	middleware: [requireOperator, jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(OperatorTenantPatchSchema) } },
	responses: {
		200: { description: "The updated tenant", content: jsonContent(OperatorTenantSchema) },
		...errors(400, 401, 404, 409, 413, 415, 422),
	},
});
