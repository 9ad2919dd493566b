import { z } from "@hono/zod-openapi";
import { ROLES } from "../../lib/jwt";
import { Email, Password, UserSchema } from "../auth/auth.schemas";

export const CreateUserSchema = z
	.object({
		email: Email,
		password: Password,
		full_name: z.string().trim().max(200).optional(),
		role: z.enum(ROLES),
	})
	.openapi("CreateUser");

export const UserPatchSchema = z
	.object({
		role: z.enum(ROLES).optional(),
		is_active: z.boolean().optional(),
		full_name: z.string().trim().max(200).nullable().optional(),
	})
	.openapi("UserPatch");

export const UserListSchema = z.object({ users: z.array(UserSchema) }).openapi("UserList");

