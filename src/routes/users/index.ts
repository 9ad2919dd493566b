import { createRouter } from "../../lib/router";
import { createUserHandler, deleteUserHandler, listUsersHandler, patchUserHandler } from "./users.handlers";
import { createUser, deleteUser, listUsers, patchUser } from "./users.routes";

export const userRoutes = createRouter()
	.openapi(listUsers, listUsersHandler)
	.openapi(createUser, createUserHandler)
	.openapi(patchUser, patchUserHandler)
	.openapi(deleteUser, deleteUserHandler);
