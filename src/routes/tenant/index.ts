import { createRouter } from "../../lib/router";
import { getTenantHandler, patchTenantHandler } from "./tenant.handlers";
import { getTenant, patchTenant } from "./tenant.routes";

export const tenantRoutes = createRouter()
	.openapi(getTenant, getTenantHandler)
	.openapi(patchTenant, patchTenantHandler);
