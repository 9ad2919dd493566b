import { z } from "@hono/zod-openapi";
import type { EscalationPolicyRow } from "../../db/schema";
import { IdList, iso } from "./shared";

export const StepSchema = z
	.strictObject({
		delay_seconds: z
			.number()
			.int()
			.min(0)
			.max(86_400)
			.openapi({ description: "Added to the delays of the steps before: the step is sent when the alert is that old" }),
		channel_ids: IdList(1, 20),
	})
	.openapi("EscalationStep");

const fields = {
	name: z.string().trim().min(1).max(200),
	steps: z.array(StepSchema).min(1).max(20),
	repeat: z.number().int().min(0).max(10).openapi({ description: "How many times the whole list runs again after its last step" }),
};

export const PolicyInputSchema = z
	.strictObject({ ...fields, repeat: fields.repeat.default(0) })
	.openapi("EscalationPolicyInput");

export const PolicyPatchSchema = z
	.strictObject(fields)
	.partial()
	.openapi("EscalationPolicyPatch", { description: "Any subset; `steps` is replaced whole" });

export type PolicyInput = z.output<typeof PolicyInputSchema>;

export const PolicySchema = z
	.object({
		id: z.string(),
		name: z.string(),
		steps: z.array(z.object({ delay_seconds: z.number().int(), channel_ids: z.array(z.string()) })),
		repeat: z.number().int(),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("EscalationPolicy");

export const PolicyListSchema = z.object({ escalation_policies: z.array(PolicySchema) }).openapi("EscalationPolicyList");

export function presentPolicy(p: EscalationPolicyRow): z.infer<typeof PolicySchema> {
	return {
		id: p.id,
		name: p.name,
		steps: p.steps,
		repeat: p.repeat,
		created_at: iso(p.createdAt),
		updated_at: iso(p.updatedAt),
	};
}

/** Every channel a policy names, with the body path that named it. */
export const stepRefs = (p: PolicyInput) =>
	p.steps.flatMap((s, i) => s.channel_ids.map((id, j) => ({ path: `steps.${i}.channel_ids.${j}`, id })));
