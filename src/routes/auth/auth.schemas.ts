import { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema";
import { ROLES } from "../../lib/jwt";
import { SCOPES } from "../../lib/scopes";
import { SLUG, TenantSchema } from "../tenant/tenant.schemas";

/** Runs a refinement only when the length checks passed: one message per problem. */
const ifValid = { when: (payload: { issues: unknown[] }) => payload.issues.length === 0 };

/**
 * 8 to 128 characters (the cap keeps PBKDF2 from being fed megabytes), and
 * not a run of one or two characters ("aaaaaaaa", "abababab").
 */
export const Password = z
	.string()
	.min(8, "at least 8 characters")
	.max(128, "at most 128 characters")
	.refine((p) => new Set(p).size > 2, { message: "too weak: use more than two different characters", ...ifValid });
/** What a sign-in accepts: any password within the cap (a rule change must not lock anyone out). */
export const PasswordInput = z.string().min(1, "required").max(128, "at most 128 characters");
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
		api_key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(z.enum(SCOPES)), key: z.string() }),
		access_token: z.string(),
		refresh_token: z.string(),
		token_type: z.literal("bearer"),
		expires_in: z.number().int(),
	})
	.openapi("Registered");

export const TokenPairSchema = z
	.object({
		access_token: z.string(),
		refresh_token: z.string(),
		token_type: z.literal("bearer"),
		expires_in: z.number().int().openapi({ description: "Seconds until the access token expires" }),
	})
	.openapi("TokenPair");

export const LoginSchema = z
	.object({
		tenant: z.string().regex(SLUG, "a tenant slug"),
		email: Email,
		password: PasswordInput,
	})
	.openapi("Login");

export const LoggedInSchema = TokenPairSchema.extend({ user: UserSchema }).openapi("LoggedIn");

const RefreshToken = z.string().min(1).max(4096);

export const RefreshSchema = z.object({ refresh_token: RefreshToken }).openapi("Refresh");
export const LogoutSchema = z
	.object({ refresh_token: RefreshToken.optional() })
	.openapi("Logout", { description: "Without a refresh token, the session of the access token ends." });

export const ProfilePatchSchema = z
	.object({ full_name: z.string().trim().max(200).nullable().optional() })
	.openapi("ProfilePatch");

export const ChangePasswordSchema = z
	.object({ current_password: PasswordInput, new_password: Password })
	.openapi("ChangePassword");

export const ResetRequestSchema = z
	.object({ tenant: z.string().regex(SLUG, "a tenant slug"), email: Email })
	.openapi("PasswordResetRequest");

export const ResetConfirmSchema = z
	.object({ token: z.string().min(1).max(256), new_password: Password })
	.openapi("PasswordResetConfirm");

export const AcceptedSchema = z.object({ message: z.string() }).openapi("Accepted");
