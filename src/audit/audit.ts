import type { Context } from "hono";
import { sql } from "drizzle-orm";
import { db } from "../db/client";
import { auditLog } from "../db/schema";
import { newId } from "../lib/crypto";
import type { AppEnv } from "../lib/types";

export type AuditAction =
	| "auth.login.succeeded"
	| "auth.login.failed"
	| "auth.logout"
	| "auth.refresh_reuse_detected"
	| "auth.password.changed"
	| "auth.password_reset.requested"
	| "auth.password_reset.completed"
	| "user.created"
	| "user.updated"
	| "user.deactivated"
	| "api_key.created"
	| "api_key.revoked"
	| "tenant.updated"
	| "tenant.suspended"
	| "tenant.unsuspended"
	| `${"alert_channel" | "alert_rule" | "escalation_policy" | "silence"}.${"created" | "updated" | "deleted"}`;

export type AuditInput = {
	tenantId: string;
	action: AuditAction;
	target?: { type: "user" | "api_key" | "tenant" | "alert_channel" | "alert_rule" | "escalation_policy" | "silence"; id: string };
	details?: Record<string, unknown>;
	/** Who acted, when not the signed-in user of the request (sign-in, password reset, the platform operator). */
	actor?: { type: "user" | "anonymous" | "operator"; id?: string | null; email?: string | null };
};

function auditRow(c: Context<AppEnv>, input: AuditInput) {
	const principal = c.get("principal");
	const user = principal?.kind === "user" ? principal : undefined;
	const actor = input.actor ?? (user ? { type: "user" as const, id: user.userId, email: user.email } : { type: "anonymous" as const });
	return {
		id: newId(),
		tenantId: input.tenantId,
		at: Date.now(),
		actorType: actor.type,
		actorId: actor.id ?? null,
		actorEmail: actor.email ?? null,
		action: input.action,
		targetType: input.target?.type ?? null,
		targetId: input.target?.id ?? null,
		details: input.details ?? null,
		// Bounded: outside Cloudflare (wrangler dev) a client can send any value here.
		ip: c.req.header("cf-connecting-ip")?.slice(0, 64) ?? null,
		userAgent: c.req.header("user-agent")?.slice(0, 256) ?? null,
		requestId: c.get("requestId"),
	};
}

/**
 * An audit row for this request: the signed-in user (or the given actor),
 * the client's address and agent, and the request id that ties the row to
 * the request log. Returned as an insert so that handlers put it in the same
 * D1 batch as the change it records: both land, or neither.
 */
export function auditEntry(c: Context<AppEnv>, input: AuditInput) {
	return db(c.env).insert(auditLog).values(auditRow(c, input));
}

/**
 * The same row, inserted only when the statement just before it in the batch
 * changed a row (SQLite's `changes()`): for guarded updates, whose audit
 * must exist exactly when the change does.
 */
export function auditIfChanged(c: Context<AppEnv>, input: AuditInput) {
	const r = auditRow(c, input);
	// Values in the table's column order (an INSERT ... SELECT fills every column).
	return db(c.env)
		.insert(auditLog)
		.select(
			sql`SELECT ${r.id}, ${r.tenantId}, ${r.at}, ${r.actorType}, ${r.actorId}, ${r.actorEmail}, ${r.action},
				${r.targetType}, ${r.targetId}, ${r.details === null ? null : JSON.stringify(r.details)}, ${r.ip},
				${r.userAgent}, ${r.requestId} WHERE changes() > 0`,
		);
}

/**
 * The one audit entry of a run of failed sign-ins for a tenant and email
 * (a lockout window: see countAttempt): the run's first failure inserts it
 * under the run's id, every later one raises `details.count` to its place in
 * the run and moves `details.last_at`. An upsert on the primary key, so
 * concurrent failures of one run still make one entry, and `max` keeps a
 * late-arriving lower count from lowering it. The entry keeps the first
 * failure's time, reason, address and agent, and its place in the log.
 */
export function signInFailureEntry(
	c: Context<AppEnv>,
	input: { tenantId: string; auditId: string; email: string; reason: string; count: number; userId?: string },
) {
	const lastAt = new Date().toISOString();
	const row = auditRow(c, {
		tenantId: input.tenantId,
		action: "auth.login.failed",
		actor: { type: "anonymous", email: input.email },
		...(input.userId && { target: { type: "user" as const, id: input.userId } }),
		details: { email: input.email, reason: input.reason, count: input.count, last_at: lastAt },
	});
	const details = auditLog.details;
	return db(c.env)
		.insert(auditLog)
		.values({ ...row, id: input.auditId })
		.onConflictDoUpdate({
			target: auditLog.id,
			set: {
				details: sql`json_set(${details},
					'$.count', max(coalesce(json_extract(${details}, '$.count'), 0), ${input.count}),
					'$.last_at', max(coalesce(json_extract(${details}, '$.last_at'), ''), ${lastAt}))`,
			},
			// A run id names one tenant's entry; never touch another's.
			setWhere: sql`${auditLog.tenantId} = ${input.tenantId} AND ${auditLog.action} = 'auth.login.failed'`,
		});
}
