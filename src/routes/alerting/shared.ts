import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { type InferInsertModel, type SQL, eq, getTableColumns, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { handOverAlerting } from "../../alerting/snapshot";
import { db } from "../../db/client";
import { tenants } from "../../db/schema";
import { hasBody } from "../../lib/body";
import { ApiError, type ErrorDetail } from "../../lib/errors";
import { log } from "../../lib/log";
import { jsonBody } from "../../lib/middleware";
import type { AppEnv } from "../../lib/types";

/** Every alerting route takes a user access token. */
export const security = [{ Bearer: [] }];
export const tags = ["Alerting"];

export { iso } from "../../lib/time";

/** Ids the API hands out are opaque, but bounded, so a silly one never reaches SQL. */
export const RefId = z.string().min(1).max(64);

/** A list of distinct ids (channel_ids of a rule or a policy step). */
export const IdList = (min: number, max: number) =>
	z
		.array(RefId)
		.min(min)
		.max(max)
		.refine((ids) => new Set(ids).size === ids.length, { message: "ids must be distinct" });

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * `{k: v}` labels of rules and silences. `__proto__` is refused rather than
 * dropped: a plain-object copy (zod's included) silently loses it, and a
 * label that vanishes would make a silence match more than was asked.
 */
export const Labels = z
	.record(
		z
			.string()
			.regex(LABEL_KEY, "label keys match ^[A-Za-z_][A-Za-z0-9_]{0,63}$")
			.refine((k) => k !== "__proto__", { message: "__proto__ is not a usable label key" }),
		z.string().max(256),
	)
	.refine((l) => Object.keys(l).length <= 20, { message: "at most 20 labels" });

/** 404 for an id the caller's tenant does not have (another tenant's ids included). */
export function notFound(what: string, id: string, details?: ErrorDetail[]): ApiError {
	return new ApiError({ code: "NOT_FOUND", message: `No ${what} with id "${id}".`, details });
}

/** 409 for a write whose guard failed although a re-read finds nothing wrong: a concurrent change won. */
export const changedMeanwhile = (what: string) =>
	new ApiError({ code: "CONFLICT", message: `The ${what} changed meanwhile; read it again and retry.` });

/**
 * Bumps tenants.alerting_version, placed right after the config write in the
 * same D1 batch: only when that write changed a row (SQLite's `changes()`),
 * so a guarded write that did nothing does not make the object reload.
 */
export function bumpVersion(env: Env, tenantId: string) {
	return db(env)
		.update(tenants)
		.set({ alertingVersion: sql`${tenants.alertingVersion} + 1` })
		.where(sql`${eq(tenants.id, tenantId)} AND changes() > 0`);
}

/**
 * After a config change landed in D1, hands the new snapshot to the tenant's
 * object before answering. handOverAlerting logs and swallows its failures
 * (the object catches up from D1's version); this guard only makes sure a
 * surprise there can never turn a saved change into a 500.
 */
export async function handOver(c: Context<AppEnv>, tenantId: string): Promise<void> {
	try {
		await handOverAlerting(c.env, tenantId);
	} catch (err) {
		log("error", "alerting hand-over threw", { request_id: c.get("requestId"), tenant_id: tenantId, error: String(err) });
	}
}

/**
 * `INSERT INTO table SELECT <row> WHERE <condition> RETURNING *`: the insert
 * and its checks (a per-tenant cap, referenced ids existing) are one
 * statement, so concurrent requests cannot both pass a check and together
 * break it. No row back means a check failed.
 */
export function insertWhere<T extends SQLiteTable>(env: Env, table: T, row: InferInsertModel<T>, condition: SQL) {
	const values = Object.entries(getTableColumns(table)).map(([key, col]) => {
		const v = (row as Record<string, unknown>)[key];
		return v === undefined || v === null ? sql`NULL` : sql.param(v, col);
	});
	return db(env)
		.insert(table)
		.select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`)
		.returning();
}

/**
 * SQL condition: the tenant has fewer than `max` rows in `table` (those
 * matching `where`, when given). Put inside the guarded insert, it makes a
 * per-tenant cap exact under concurrency.
 */
export function countBelow(
	table: "alert_channels" | "alert_rules" | "escalation_policies" | "silences",
	tenantId: string,
	max: number,
	where?: SQL,
): SQL {
	return sql`(SELECT count(*) FROM ${sql.identifier(table)} WHERE tenant_id = ${tenantId}${where ? sql` AND ${where}` : sql``}) < ${max}`;
}

/**
 * Like `jsonBody`, and a POST with no body at all (or an empty one) reads as
 * `{}`: actions and the channel test need no Content-Type and no body.
 */
export const optionalJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
	if (!hasBody(c.req.raw)) {
		// Hono's body cache holds promises at run time; its type says string.
		(c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve("{}");
		return next();
	}
	return jsonBody(c, next);
};

/** The `updated_at` of a change: strictly after the previous one, so it can guard the next write. */
export const nextUpdatedAt = (previous: number) => Math.max(Date.now(), previous + 1);

/** Ids in a cursor of alerts and notifications (made by the tenant's object), bounded so a forged one is a 422. */
export const CURSOR_ID = /^[A-Za-z0-9_-]{1,128}$/;
