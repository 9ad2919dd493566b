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
		ip: c.req.header("cf-connecting-ip") ?? null,
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
