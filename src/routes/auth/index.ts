import { createRouter } from "../../lib/router";
import { confirmResetHandler, requestResetHandler } from "./password.handlers";
import { confirmReset, requestReset } from "./password.routes";
import { changePasswordHandler, getProfileHandler, patchProfileHandler } from "./profile.handlers";
import { changePassword, getProfile, patchProfile } from "./profile.routes";
import { registerTenantHandler } from "./register.handlers";
import { registerTenant } from "./register.routes";
import { loginHandler, logoutHandler, refreshHandler } from "./session.handlers";
import { login, logout, refresh } from "./session.routes";

export const authRoutes = createRouter()
	.openapi(registerTenant, registerTenantHandler)
	.openapi(login, loginHandler)
	.openapi(refresh, refreshHandler)
	.openapi(logout, logoutHandler)
	.openapi(getProfile, getProfileHandler)
	.openapi(patchProfile, patchProfileHandler)
	.openapi(changePassword, changePasswordHandler)
	.openapi(requestReset, requestResetHandler)
	.openapi(confirmReset, confirmResetHandler);
