import { type SQL, and, count, desc, eq, gt, lte, not, sql } from "drizzle-orm";
import { db } from "../../db/client";
import { type SilenceRow, silences } from "../../db/schema";
import { newId } from "../../lib/crypto";
import { ApiError, validationError } from "../../lib/errors";
import { decodeCursor, encodeCursor, pastCursor } from "../../lib/pagination";
import type { AppRouteHandler } from "../../lib/types";
import { assertRule, ruleExists } from "./refs";
import { bumpVersion, changedMeanwhile, countBelow, handOver, insertWhere, nextUpdatedAt, notFound } from "./shared";
import { auditConfig } from "./audit";
import type { createSilence, deleteSilence, getSilence, listSilences, patchSilence } from "./silences.routes";
import { SilenceInputSchema, inputOf, presentSilence, silenceColumns } from "./silences.schemas";

/** Silences not yet ended, per tenant: each is matched against every alert that opens. Ended ones do not count. */
export const MAX_OPEN_SILENCES = 1000;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

async function loadSilence(env: Env, tenantId: string, id: string): Promise<SilenceRow> {
	const row = await db(env)
		.select()
		.from(silences)
		.where(and(eq(silences.id, id), eq(silences.tenantId, tenantId)))
		.get();
	if (!row) throw notFound("silence", id);
	return row;
}

/** A silence that has already ended would silence nothing: refused where ends_at is set. */
function assertEndsLater(endsAt: number, now: number): void {
	if (endsAt <= now) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: "The silence would already be over.",
			details: [{ path: "ends_at", message: "ends_at is in the past" }],
		});
	}
}

export const listSilencesHandler: AppRouteHandler<typeof listSilences> = async (c) => {
	const q = c.req.valid("query");
	const now = Date.now();
	const where: (SQL | undefined)[] = [eq(silences.tenantId, c.get("user").tenantId)];
	const inForce = and(lte(silences.startsAt, now), gt(silences.endsAt, now));
	if (q.active === "true") where.push(inForce);
	if (q.active === "false") where.push(not(inForce!));
	if (q.rule_id) where.push(eq(silences.ruleId, q.rule_id));
	if (q.cursor) {
		const cur = decodeCursor(q.cursor, ID);
		where.push(pastCursor(silences.createdAt, silences.id, cur));
	}
	const rows = await db(c.env)
		.select()
		.from(silences)
		.where(and(...where))
		.orderBy(desc(silences.createdAt), desc(silences.id))
		.limit(q.limit + 1)
		.all();
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return c.json(
		{
			silences: page.map((s) => presentSilence(s, now)),
			next_cursor: rows.length > q.limit && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null,
		},
		200,
	);
};

export const createSilenceHandler: AppRouteHandler<typeof createSilence> = async (c) => {
	const user = c.get("user");
	const tenantId = user.tenantId;
	const input = c.req.valid("json");
	const now = Date.now();
	assertEndsLater(input.ends_at, now);
	const row: SilenceRow = { id: newId(), tenantId, ...silenceColumns(input, now), createdBy: user.email, createdAt: now, updatedAt: now };
	const guard = and(
		ruleExists(tenantId, input.rule_id),
		countBelow("silences", tenantId, MAX_OPEN_SILENCES, sql`ends_at > ${now}`),
	)!;
	const [created] = await db(c.env).batch([insertWhere(c.env, silences, row, guard), bumpVersion(c.env, tenantId), auditConfig(c, tenantId, "silence.created", row.id)]);
	if (created.length === 0) {
		await assertRule(c.env, tenantId, input.rule_id);
		const [n] = await db(c.env)
			.select({ n: count() })
			.from(silences)
			.where(and(eq(silences.tenantId, tenantId), gt(silences.endsAt, now)));
		if ((n?.n ?? 0) >= MAX_OPEN_SILENCES) {
			throw new ApiError({
				code: "VALIDATION_ERROR",
				message: `A tenant has at most ${MAX_OPEN_SILENCES} silences that have not ended; delete some first.`,
				details: [{ path: "(body)", message: `at most ${MAX_OPEN_SILENCES} open silences per tenant` }],
			});
		}
		throw changedMeanwhile("tenant's alerting configuration");
	}
	await handOver(c, tenantId);
	return c.json(presentSilence(created[0]!, now), 201);
};

export const getSilenceHandler: AppRouteHandler<typeof getSilence> = async (c) => {
	return c.json(presentSilence(await loadSilence(c.env, c.get("user").tenantId, c.req.valid("param").id)), 200);
};

/** Merged onto the stored silence and validated whole; an `ends_at` given here must lie in the future. */
export const patchSilenceHandler: AppRouteHandler<typeof patchSilence> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const patch = c.req.valid("json");
	const before = await loadSilence(c.env, tenantId, id);
	const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
	const parsed = SilenceInputSchema.safeParse({ ...inputOf(before), ...given });
	if (!parsed.success) throw validationError(parsed.error);
	const input = parsed.data;
	const now = Date.now();
	if (patch.ends_at !== undefined) assertEndsLater(input.ends_at, now);
	const d = db(c.env);
	const [updated] = await d.batch([
		d
			.update(silences)
			.set({ ...silenceColumns(input, now), updatedAt: nextUpdatedAt(before.updatedAt) })
			.where(
				and(
					eq(silences.id, id),
					eq(silences.tenantId, tenantId),
					eq(silences.updatedAt, before.updatedAt),
					ruleExists(tenantId, input.rule_id),
				),
			)
			.returning(),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "silence.updated", id),
	]);
	if (updated.length === 0) {
		const current = await loadSilence(c.env, tenantId, id);
		if (current.updatedAt === before.updatedAt) await assertRule(c.env, tenantId, input.rule_id);
		throw changedMeanwhile("silence");
	}
	await handOver(c, tenantId);
	return c.json(presentSilence(updated[0]!, now), 200);
};

export const deleteSilenceHandler: AppRouteHandler<typeof deleteSilence> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const d = db(c.env);
	const [deleted] = await d.batch([
		d
			.delete(silences)
			.where(and(eq(silences.id, id), eq(silences.tenantId, tenantId)))
			.returning({ id: silences.id }),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "silence.deleted", id),
	]);
	if (deleted.length === 0) throw notFound("silence", id);
	await handOver(c, tenantId);
	return c.body(null, 204);
};
