import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { db } from "../../db/client";
import { auditLog } from "../../db/schema";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { decodeCursor, encodeCursor } from "../../lib/pagination";
import { createRouter, jsonContent } from "../../lib/router";
import { AuditListSchema, AuditQuery, presentAuditEntry } from "./audit-log.schemas";

/** Entries of one millisecond are ordered by insertion: SQLite's rowid, which every index carries. */
const SEQ = /^\d{1,19}$/;
const rowid = sql<number>`${auditLog}.rowid`;

export const listAuditLog = createRoute({
	method: "get",
	path: "/audit-log",
	summary: "Who did what in the tenant, newest first (admin+)",
	operationId: "listAuditLog",
	tags: ["Tenant"],
	description: "Sign-ins, user, API key, tenant and alerting changes of the tenant, with cursor pagination.",
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
		const cur = decodeCursor(q.cursor, SEQ);
		const seq = Number(cur.id);
		where.push(or(lt(auditLog.at, cur.t), and(eq(auditLog.at, cur.t), sql`${rowid} < ${seq}`)));
	}
	const rows = await db(c.env)
		.select({ entry: auditLog, seq: rowid })
		.from(auditLog)
		.where(and(...where))
		.orderBy(desc(auditLog.at), desc(rowid))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			entries: page.map((r) => presentAuditEntry(r.entry)),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.entry.at, id: String(last.seq) }) : null,
		},
		200,
	);
});
