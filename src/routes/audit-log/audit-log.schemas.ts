import { z } from "@hono/zod-openapi";
import { ACTOR_TYPES, type AuditRow } from "../../db/schema";
import { LimitQuery } from "../../lib/pagination";

export const AuditEntrySchema = z
	.object({
		id: z.string(),
		at: z.string(),
		action: z.string().openapi({ example: "user.updated" }),
		actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string().nullable(), email: z.string().nullable() }),
		target: z.object({ type: z.string(), id: z.string() }).nullable(),
		details: z.record(z.string(), z.unknown()).nullable(),
		ip: z.string().nullable(),
		user_agent: z.string().nullable(),
		request_id: z.string().nullable(),
	})
	.openapi("AuditEntry");

export const AuditListSchema = z
	.object({ entries: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
	.openapi("AuditList");

export const AuditQuery = z.object({
	action: z.string().max(64).optional().openapi({ description: "Exact action, or a prefix ending in `.` (`user.`)" }),
	actor_id: z.string().max(64).optional(),
	target_id: z.string().max(64).optional(),
	limit: LimitQuery(500, 50),
	cursor: z.string().max(512).optional(),
});

export function presentAuditEntry(r: AuditRow): z.infer<typeof AuditEntrySchema> {
	return {
		id: r.id,
		at: new Date(r.at).toISOString(),
		action: r.action,
		actor: { type: r.actorType, id: r.actorId, email: r.actorEmail },
		target: r.targetType && r.targetId ? { type: r.targetType, id: r.targetId } : null,
		details: r.details ?? null,
		ip: r.ip,
		user_agent: r.userAgent,
		request_id: r.requestId,
	};
}
