import { env } from "cloudflare:workers";
import { bearer, call } from "../../helpers";

/** The operator token bound in vitest.config.ts (ENVIRONMENT=test has no development default). */
export const OPERATOR = () => env.OPERATOR_TOKEN!;

export type OperatorTenant = {
	id: string;
	slug: string;
	name: string;
	created_at: string;
	suspended: boolean;
	suspended_at: string | null;
	rate_limit_per_minute: number;
	retention_days: number;
	max_rate_limit_per_minute: number;
	max_retention_days: number;
};

/** A request to the operator API with the operator token (or `headers` instead). */
export function operator(method: string, path: string, body?: unknown, headers: Record<string, string> = bearer(OPERATOR())) {
	return call(`/api/v1/operator${path}`, {
		method,
		headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
		...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
	});
}

export const patchAsOperator = (tenantId: string, body: unknown) => operator("PATCH", `/tenants/${tenantId}`, body);
