import { createRouter } from "../../lib/router";
import { registerTenantHandler } from "./auth.handlers";
import { registerTenant } from "./auth.routes";

export const authRoutes = createRouter().openapi(registerTenant, registerTenantHandler);
