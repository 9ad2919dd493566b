import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { db } from "../../db/client";
import { auditLog } from "../../db/schema";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { decodeCursor, encodeCursor } from "../../lib/pagination";
import { createRouter, jsonContent } from "../../lib/router";
import { AuditListSchema, AuditQuery, presentAuditEntry } from "./audit-log.schemas";

const AUDIT_ID = /^[0-9a-f]{32}$/;

export const listAuditLog = createRoute({
	method: "get",
	path: "/audit-log",
	summary: "Who did what in the tenant, newest first (admin+)",
	security: [{ Bearer: [] }],
	middleware: [requireUser("admin")] as const,
	request: { query: AuditQuery },
	responses: {
		200: { description: "A page of entries and the cursor of the next", content: jsonContent(AuditListSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const auditLogRoutes = createRouter().openapi(listAuditLog, async (c) => {
	const q = c.req.valid("query");
	const where: (SQL | undefined)[] = [eq(auditLog.tenantId, c.get("user").tenantId)];
	if (q.action) {
		// A prefix is compared as text (no LIKE, whose `_` would be a wildcard).
		where.push(
			q.action.endsWith(".")
				? sql`substr(${auditLog.action}, 1, ${q.action.length}) = ${q.action}`
				: eq(auditLog.action, q.action),
		);
	}
	if (q.actor_id) where.push(eq(auditLog.actorId, q.actor_id));
	if (q.target_id) where.push(eq(auditLog.targetId, q.target_id));
	if (q.cursor) {
		const cur = decodeCursor(q.cursor, AUDIT_ID);
		where.push(or(lt(auditLog.at, cur.t), and(eq(auditLog.at, cur.t), lt(auditLog.id, cur.id))));
	}
	const rows = await db(c.env)
		.select()
		.from(auditLog)
		.where(and(...where))
		.orderBy(desc(auditLog.at), desc(auditLog.id))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			entries: page.map(presentAuditEntry),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.at, id: last.id }) : null,
		},
		200,
	);
});
