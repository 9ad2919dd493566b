import { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema";
import { ROLES } from "../../lib/jwt";
import { SLUG, TenantSchema } from "../tenant/tenant.schemas";

/** Long enough to resist guessing, short enough that PBKDF2 cannot be abused with megabyte passwords. */
export const Password = z.string().min(8, "at least 8 characters").max(128, "at most 128 characters");
export const Email = z.email().max(254).transform((e) => e.toLowerCase());

export const UserSchema = z
	.object({
		id: z.string(),
		tenant_id: z.string(),
		email: z.string(),
		full_name: z.string().nullable(),
		role: z.enum(ROLES),
		is_active: z.boolean(),
		created_at: z.string(),
	})
	.openapi("User");

/** A user as the API shows it: never the password hash. */
export function presentUser(u: UserRow): z.infer<typeof UserSchema> {
	return {
		id: u.id,
		tenant_id: u.tenantId,
		email: u.email,
		full_name: u.fullName,
		role: u.role,
		is_active: u.isActive,
		created_at: new Date(u.createdAt).toISOString(),
	};
}

export const RegisterTenantSchema = z
	.object({
		name: z.string().trim().min(1).max(200),
		slug: z.string().regex(SLUG, "lowercase letters, digits and dashes, 2-63 characters, not starting with a dash"),
		email: Email,
		password: Password,
		full_name: z.string().trim().max(200).optional(),
	})
	.openapi("RegisterTenant");

export const RegisteredSchema = z
	.object({
		tenant: TenantSchema,
		user: UserSchema,
		api_key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), key: z.string() }),
		access_token: z.string(),
		refresh_token: z.string(),
		token_type: z.literal("bearer"),
		expires_in: z.number().int(),
	})
	.openapi("Registered");
