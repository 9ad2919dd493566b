import type { TenantRow } from "../db/schema";
import { ApiError, type ErrorDetail } from "./errors";
import { log } from "./log";

/**
 * The largest ceilings an operator may grant. One tenant object serializes
 * its tenant's ingestion and handles about 1,000 requests a second; with
 * batches of 1,000 that is far beyond what D1 absorbs from one tenant, so
 * 10,000,000 events a minute (166,000 a second, the figure `npm run bench`
 * has always run with) is already past what one tenant can really do.
 * 3,650 days (ten years) is the retention the API allowed before ceilings.
 */
export const MAX_RATE_LIMIT_CEILING = 10_000_000;
export const MAX_RETENTION_CEILING = 3_650;

export type Ceilings = { maxRateLimitPerMinute: number; maxRetentionDays: number };

/** The tenant fields bounded by a ceiling, with the ceiling's API name and unit. */
export const BOUNDED = {
	rate_limit_per_minute: { ceiling: "max_rate_limit_per_minute", key: "maxRateLimitPerMinute", unit: "events a minute" },
	retention_days: { ceiling: "max_retention_days", key: "maxRetentionDays", unit: "days" },
} as const;
export type BoundedField = keyof typeof BOUNDED;

function planVar(name: string, raw: string | undefined, max: number): number {
	const n = raw !== undefined && /^\d{1,8}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
	if (Number.isInteger(n) && n >= 1 && n <= max) return n;
	// A wrong variable is a deployment error, said clearly; never a guessed default.
	log("error", `${name} must be an integer from 1 to ${max}; fix it in wrangler.toml [vars]`);
	throw new ApiError({ code: "INTERNAL", message: `The server is not configured: ${name} is not a valid number.` });
}

/** The plan defaults, from the variables. */
export function planCeilings(env: Env): Ceilings {
	return {
		maxRateLimitPerMinute: planVar("PLAN_MAX_RATE_LIMIT_PER_MINUTE", env.PLAN_MAX_RATE_LIMIT_PER_MINUTE, MAX_RATE_LIMIT_CEILING),
		maxRetentionDays: planVar("PLAN_MAX_RETENTION_DAYS", env.PLAN_MAX_RETENTION_DAYS, MAX_RETENTION_CEILING),
	};
}

/** A tenant's ceilings: its own where an operator set one, else the plan default. */
export function ceilingsOf(row: Pick<TenantRow, "maxRateLimitPerMinute" | "maxRetentionDays">, env: Env): Ceilings {
	const plan = planCeilings(env);
	return {
		maxRateLimitPerMinute: row.maxRateLimitPerMinute ?? plan.maxRateLimitPerMinute,
		maxRetentionDays: row.maxRetentionDays ?? plan.maxRetentionDays,
	};
}

/**
 * 422 when a value is above its ceiling: one detail per field, and the
 * message names each field with its ceiling so a client can retry at once.
 */
export function assertWithinCeilings(values: Partial<Record<BoundedField, number>>, ceilings: Ceilings): void {
	const details: ErrorDetail[] = [];
	const sentences: string[] = [];
	for (const field of Object.keys(BOUNDED) as BoundedField[]) {
		const value = values[field];
		const { ceiling, key, unit } = BOUNDED[field];
		const max = ceilings[key];
		if (value === undefined || value <= max) continue;
		details.push({ path: field, message: `must be at most ${max} (${ceiling}, the tenant's plan ceiling)` });
		sentences.push(`${field} ${value} is above the tenant's plan ceiling ${ceiling} of ${max.toLocaleString("en-US")} ${unit}`);
	}
	if (details.length === 0) return;
	throw new ApiError({
		code: "VALIDATION_ERROR",
		message: `${sentences.join("; ")}. Only an operator can raise a ceiling.`,
		details,
	});
}
