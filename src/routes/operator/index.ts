import { createRouter } from "../../lib/router";
import { getOperatorTenantHandler, listOperatorTenantsHandler, patchOperatorTenantHandler } from "./operator.handlers";
import { getOperatorTenant, listOperatorTenants, patchOperatorTenant } from "./operator.routes";

/** The platform operator's API: every route behind requireOperator, none reachable with a tenant credential. */
export const operatorRoutes = createRouter()
	.openapi(listOperatorTenants, listOperatorTenantsHandler)
	.openapi(getOperatorTenant, getOperatorTenantHandler)
	.openapi(patchOperatorTenant, patchOperatorTenantHandler);
