import type { Context } from "hono";
import { and, asc, eq, or, sql, type SQL } from "drizzle-orm";
import { type AuditAction, auditIfChanged } from "../../audit/audit";
import { db } from "../../db/client";
import { type TenantRow, tenants } from "../../db/schema";
import { tenantStub } from "../../lib/auth";
import { ApiError } from "../../lib/errors";
import { log } from "../../lib/log";
import { decodeCursor, encodeCursor, pastCursor } from "../../lib/pagination";
import { assertWithinCeilings, ceilingsOf, planCeilings } from "../../lib/plan";
import type { AppEnv, AppRouteHandler } from "../../lib/types";
import { settingsOf } from "../../tenant/settings";
import type { getOperatorTenant, listOperatorTenants, patchOperatorTenant } from "./operator.routes";
import { type OperatorTenant, type OperatorTenantPatch, presentOperatorTenant } from "./operator.schemas";

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const notFound = () => new ApiError({ code: "NOT_FOUND", message: "No tenant with this id." });

async function loadTenant(env: Env, id: string): Promise<TenantRow> {
	const row = await db(env).select().from(tenants).where(eq(tenants.id, id)).get();
	if (!row) throw notFound();
	return row;
}

/** Oldest first by (created_at, id): a keyset cursor, so tenants registered meanwhile never shift a page. */
export const listOperatorTenantsHandler: AppRouteHandler<typeof listOperatorTenants> = async (c) => {
	const q = c.req.valid("query");
	const where: (SQL | undefined)[] = [];
	if (q.slug) where.push(eq(tenants.slug, q.slug));
	if (q.cursor) {
		const cur = decodeCursor(q.cursor, TENANT_ID);
		where.push(pastCursor(tenants.createdAt, tenants.id, cur, "asc"));
	}
	const rows = await db(c.env)
		.select()
		.from(tenants)
		.where(and(...where))
		.orderBy(asc(tenants.createdAt), asc(tenants.id))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			tenants: page.map((r) => presentOperatorTenant(r, c.env)),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null,
		},
		200,
	);
};

export const getOperatorTenantHandler: AppRouteHandler<typeof getOperatorTenant> = async (c) => {
	return c.json(presentOperatorTenant(await loadTenant(c.env, c.req.valid("param").id), c.env), 200);
};

/**
 * Applies the change in D1 (with its audit row), then hands the new settings
 * to the tenant's object before answering, as PATCH /tenant does, so the
 * tenant's next ingestion request sees the new limit or the suspension.
 * An empty body changes nothing and answers the tenant as it is.
 */
export const patchOperatorTenantHandler: AppRouteHandler<typeof patchOperatorTenant> = async (c) => {
	const { id } = c.req.valid("param");
	const patch = c.req.valid("json");
	let row: TenantRow | undefined;
	for (let attempt = 0; attempt < 3 && !row; attempt++) row = await applyPatch(c, id, patch);
	if (!row) throw new ApiError({ code: "CONFLICT", message: "The tenant changed meanwhile; send the same PATCH again." });
	try {
		await tenantStub(c.env, id).configure(settingsOf(row));
	} catch (err) {
		log("error", "operator change saved but not applied to the tenant object", {
			request_id: c.get("requestId"),
			tenant_id: id,
			error: String(err),
		});
		throw new ApiError({
			code: "INTERNAL",
			message: "The change was saved but could not be applied to the tenant yet; send the same PATCH again.",
		});
	}
	return c.json(presentOperatorTenant(row, c.env), 200);
};

type Changes = Partial<Record<keyof OperatorTenant, unknown>>;

/**
 * One try: the row after the change, or undefined when the tenant changed a
 * bounded value between our read and the UPDATE (the guard did not hold).
 */
async function applyPatch(c: Context<AppEnv>, id: string, patch: OperatorTenantPatch): Promise<TenantRow | undefined> {
	const before = await loadTenant(c.env, id);
	const current = ceilingsOf(before, c.env);
	const ceilings = {
		maxRateLimitPerMinute: patch.max_rate_limit_per_minute ?? current.maxRateLimitPerMinute,
		maxRetentionDays: patch.max_retention_days ?? current.maxRetentionDays,
	};
	// Values sent with the PATCH must fit the ceilings it leaves (new or current).
	assertWithinCeilings({ rate_limit_per_minute: patch.rate_limit_per_minute, retention_days: patch.retention_days }, ceilings);

	const shown = presentOperatorTenant(before, c.env);
	const now = Date.now();
	const suspendedAt = patch.suspended === undefined ? before.suspendedAt : patch.suspended ? (before.suspendedAt ?? now) : null;
	// A value the operator did not send follows a ceiling it lowered (and only then).
	const clamp = (value: number, sent: number | undefined, newCeiling: number | undefined) =>
		sent ?? (newCeiling !== undefined ? Math.min(value, newCeiling) : value);
	const intended = {
		max_rate_limit_per_minute: ceilings.maxRateLimitPerMinute,
		max_retention_days: ceilings.maxRetentionDays,
		rate_limit_per_minute: clamp(before.rateLimitPerMinute, patch.rate_limit_per_minute, patch.max_rate_limit_per_minute),
		retention_days: clamp(before.retentionDays, patch.retention_days, patch.max_retention_days),
		suspended: suspendedAt !== null,
	};
	// A ceiling sent where the tenant followed the plan default is a change even at the same figure:
	// it is stored, and then stays put when the variable moves.
	const pinned = {
		max_rate_limit_per_minute: patch.max_rate_limit_per_minute !== undefined && before.maxRateLimitPerMinute === null,
		max_retention_days: patch.max_retention_days !== undefined && before.maxRetentionDays === null,
	};
	const changed: Changes = Object.fromEntries(
		Object.entries(intended).filter(([k, v]) => shown[k as keyof OperatorTenant] !== v || pinned[k as keyof typeof pinned]),
	);
	if (Object.keys(changed).length === 0) return before;

	const plan = planCeilings(c.env);
	const set: Partial<TenantRow> = { suspendedAt };
	if (patch.max_rate_limit_per_minute !== undefined) set.maxRateLimitPerMinute = patch.max_rate_limit_per_minute;
	if (patch.max_retention_days !== undefined) set.maxRetentionDays = patch.max_retention_days;
	const d = db(c.env);
	const [[updated]] = await d.batch([
		d
			.update(tenants)
			.set({
				...set,
				// In SQL, so a tenant's PATCH that landed since our read is lowered too.
				rateLimitPerMinute: valueSql(tenants.rateLimitPerMinute, patch.rate_limit_per_minute, patch.max_rate_limit_per_minute),
				retentionDays: valueSql(tenants.retentionDays, patch.retention_days, patch.max_retention_days),
				settingsVersion: sql`${tenants.settingsVersion} + 1`,
			})
			.where(
				and(
					eq(tenants.id, id),
					// A value sent without its ceiling must still fit the ceiling the row has now.
					patch.rate_limit_per_minute !== undefined && patch.max_rate_limit_per_minute === undefined
						? sql`${patch.rate_limit_per_minute} <= coalesce(${tenants.maxRateLimitPerMinute}, ${plan.maxRateLimitPerMinute})`
						: undefined,
					patch.retention_days !== undefined && patch.max_retention_days === undefined
						? sql`${patch.retention_days} <= coalesce(${tenants.maxRetentionDays}, ${plan.maxRetentionDays})`
						: undefined,
				),
			)
			.returning(),
		auditIfChanged(c, {
			tenantId: id,
			action: auditAction(changed),
			actor: { type: "operator" },
			target: { type: "tenant", id },
			details: {
				before: Object.fromEntries(Object.keys(changed).map((k) => [k, shown[k as keyof OperatorTenant]])),
				after: changed,
			},
		}),
	]);
	return updated;
}

function valueSql(column: typeof tenants.rateLimitPerMinute | typeof tenants.retentionDays, sent?: number, ceiling?: number): SQL {
	if (sent !== undefined) return sql`${sent}`;
	if (ceiling !== undefined) return sql`min(${column}, ${ceiling})`;
	return sql`${column}`;
}

/** One audit entry per PATCH; a suspension or its lifting names the entry, since that is what people look for. */
function auditAction(changed: Changes): AuditAction {
	if (changed.suspended === true) return "tenant.suspended";
	if (changed.suspended === false) return "tenant.unsuspended";
	return "tenant.updated";
}
