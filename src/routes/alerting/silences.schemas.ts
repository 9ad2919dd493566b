import { z } from "@hono/zod-openapi";
import type { SilenceRow } from "../../db/schema";
import { LimitQuery } from "../../lib/pagination";
import { TimeInput } from "../ingestion/event-schema";
import { Labels, RefId, iso } from "./shared";

const Time = TimeInput.openapi({ description: "ISO-8601 (any offset) or epoch milliseconds" });

const fields = {
	rule_id: RefId.nullable().optional().openapi({ description: "Silences this rule's alerts" }),
	labels: Labels.nullable().optional().openapi({ description: "Silences alerts carrying all these labels" }),
	starts_at: Time,
	ends_at: Time,
	comment: z.string().trim().min(1).max(1000),
};

type SilenceShape = { rule_id?: string | null; labels?: Record<string, string> | null; starts_at?: number; ends_at?: number };

/** A silence must match something, and end after it starts. */
function checkSilence(s: SilenceShape, ctx: z.RefinementCtx): void {
	if (!s.rule_id && Object.keys(s.labels ?? {}).length === 0) {
		ctx.addIssue({
			code: "custom",
			path: ["labels"],
			message: "a silence must match something: give rule_id, non-empty labels, or both",
		});
	}
	if (typeof s.ends_at === "number" && s.ends_at <= (s.starts_at ?? Date.now())) {
		ctx.addIssue({ code: "custom", path: ["ends_at"], message: "ends_at must be after starts_at" });
	}
}

export const SilenceInputSchema = z
	.strictObject({ ...fields, starts_at: Time.optional().openapi({ description: "Default: now" }) })
	.superRefine(checkSilence)
	.openapi("SilenceInput");

export const SilencePatchSchema = z
	.strictObject(fields)
	.partial()
	.openapi("SilencePatch", { description: "Any subset; the merged silence is validated whole" });

export type SilenceInput = z.output<typeof SilenceInputSchema>;

export const SilenceSchema = z
	.object({
		id: z.string(),
		rule_id: z.string().nullable(),
		labels: z.record(z.string(), z.string()),
		starts_at: z.string(),
		ends_at: z.string(),
		comment: z.string(),
		active: z.boolean().openapi({ description: "starts_at ≤ now < ends_at" }),
		created_by: z.string().nullable().openapi({ description: "The email of the user who created it" }),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("Silence");

export const SilenceListSchema = z
	.object({ silences: z.array(SilenceSchema), next_cursor: z.string().nullable() })
	.openapi("SilenceList");

export const SilenceQuery = z.object({
	active: z
		.enum(["true", "false"])
		.optional()
		.openapi({ description: "true: in force now; false: expired or not started yet" }),
	rule_id: RefId.optional(),
	limit: LimitQuery(500, 100),
	cursor: z.string().max(512).optional(),
});

export function presentSilence(s: SilenceRow, now = Date.now()): z.infer<typeof SilenceSchema> {
	return {
		id: s.id,
		rule_id: s.ruleId,
		labels: s.labels ?? {},
		starts_at: iso(s.startsAt),
		ends_at: iso(s.endsAt),
		comment: s.comment,
		active: s.startsAt <= now && now < s.endsAt,
		created_by: s.createdBy,
		created_at: iso(s.createdAt),
		updated_at: iso(s.updatedAt),
	};
}

/** A stored silence as input again, for a PATCH to be merged onto. */
export const inputOf = (s: SilenceRow) => ({
	rule_id: s.ruleId,
	labels: s.labels,
	starts_at: s.startsAt,
	ends_at: s.endsAt,
	comment: s.comment,
});

/** The columns of a validated silence: no labels is stored as null (no label condition). */
export function silenceColumns(s: SilenceInput, now: number) {
	return {
		ruleId: s.rule_id ?? null,
		labels: s.labels && Object.keys(s.labels).length > 0 ? s.labels : null,
		startsAt: s.starts_at ?? now,
		endsAt: s.ends_at,
		comment: s.comment,
	};
}
