import { z } from "@hono/zod-openapi";
import { ruleOf } from "../../alerting/snapshot";
import { ALERT_SEVERITIES, METRICS, type Metric, NO_DATA, OPERATORS } from "../../alerting/types";
import { type AlertRuleRow, EVENT_TYPES } from "../../db/schema";
import { METHODS } from "../ingestion/event-schema";
import { IdList, Labels, RefId, iso } from "./shared";

/** What a threshold of each metric can be: ratios are 0..1 everywhere, counts and latencies ≥ 0. */
function thresholdRange(metric: Metric): [number, number] {
	return metric === "error_rate" ? [0, 1] : [0, Number.MAX_VALUE];
}

const rangeText = (metric: Metric) => (metric === "error_rate" ? "from 0 to 1 (a ratio)" : "≥ 0");

export const FilterSchema = z
	.strictObject({
		event_type: z.enum(EVENT_TYPES).optional(),
		source: z.string().min(1).max(128).optional(),
		endpoint: z.string().min(1).max(512).optional(),
		method: z.enum(METHODS).optional(),
	})
	.openapi("AlertRuleFilter", { description: "Only events matching every given field count" });

export const ConditionSchema = z
	.strictObject({
		metric: z.enum(METRICS),
		operator: z.enum(OPERATORS),
		// z.number() refuses Infinity and NaN (JSON's 1e999 parses to Infinity).
		threshold: z.number().openapi({ description: "error_rate: 0..1; counts and latencies (ms): ≥ 0" }),
		window_seconds: z.number().int().min(60).max(86_400),
		filter: FilterSchema.nullable().optional(),
	})
	.superRefine((cond, ctx) => {
		if (!METRICS.includes(cond.metric) || typeof cond.threshold !== "number") return;
		const [lo, hi] = thresholdRange(cond.metric);
		if (cond.threshold < lo || cond.threshold > hi) {
			ctx.addIssue({ code: "custom", path: ["threshold"], message: `a ${cond.metric} threshold is ${rangeText(cond.metric)}` });
		}
	})
	.openapi("AlertRuleCondition");

const Seconds = z.number().int().min(0).max(86_400);

const RunbookUrl = z
	.string()
	.max(2048)
	.refine(
		(v) => {
			try {
				const u = new URL(v);
				return u.protocol === "https:" || u.protocol === "http:";
			} catch {
				return false;
			}
		},
		{ message: "a valid http(s) URL" },
	);

/** Every field of a rule, none defaulted: the PATCH takes any subset of these. */
const fields = {
	name: z.string().trim().min(1).max(200),
	description: z.string().max(2000).nullable().optional(),
	enabled: z.boolean(),
	severity: z.enum(ALERT_SEVERITIES),
	condition: ConditionSchema,
	for_seconds: Seconds.openapi({ description: "How long the breach must hold before the alert opens" }),
	resolve_threshold: z
		.number()
		.nullable()
		.optional()
		.openapi({ description: "Hysteresis: for gt/gte at most the threshold, for lt/lte at least it" }),
	no_data: z.enum(NO_DATA),
	labels: Labels,
	runbook_url: RunbookUrl.nullable().optional(),
	channel_ids: IdList(0, 20),
	escalation_policy_id: RefId.nullable().optional(),
	cooldown_seconds: Seconds,
	auto_resolve: z.boolean(),
};

type RuleShape = {
	condition?: { metric: Metric; operator: (typeof OPERATORS)[number]; threshold: number };
	resolve_threshold?: number | null;
};

/** The hysteresis value must lie on the side the value returns to, within the metric's range. */
function checkResolveThreshold(rule: RuleShape, ctx: z.RefinementCtx): void {
	const rt = rule.resolve_threshold;
	const cond = rule.condition;
	if (rt === null || rt === undefined || !cond || typeof cond.threshold !== "number" || !METRICS.includes(cond.metric)) return;
	const above = cond.operator === "gt" || cond.operator === "gte";
	if (above ? rt > cond.threshold : rt < cond.threshold) {
		ctx.addIssue({
			code: "custom",
			path: ["resolve_threshold"],
			message: `with operator ${cond.operator}, resolve_threshold must be ${above ? "at most" : "at least"} the threshold (${cond.threshold})`,
		});
	}
	const [lo, hi] = thresholdRange(cond.metric);
	if (rt < lo || rt > hi) {
		ctx.addIssue({ code: "custom", path: ["resolve_threshold"], message: `a ${cond.metric} value is ${rangeText(cond.metric)}` });
	}
}

export const RuleInputSchema = z
	.strictObject({
		...fields,
		enabled: fields.enabled.default(true),
		for_seconds: fields.for_seconds.default(0),
		no_data: fields.no_data.default("ok"),
		labels: fields.labels.default({}),
		channel_ids: fields.channel_ids.default([]),
		cooldown_seconds: fields.cooldown_seconds.default(300),
		auto_resolve: fields.auto_resolve.default(true),
	})
	.superRefine(checkResolveThreshold)
	.openapi("AlertRuleInput");

export const RulePatchSchema = z
	.strictObject(fields)
	.partial()
	.openapi("AlertRulePatch", { description: "Any subset of the rule's fields; `condition` is replaced whole" });

export type RuleInput = z.output<typeof RuleInputSchema>;

export const RuleSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		description: z.string().nullable(),
		enabled: z.boolean(),
		severity: z.enum(ALERT_SEVERITIES),
		condition: ConditionSchema,
		for_seconds: z.number().int(),
		resolve_threshold: z.number().nullable(),
		no_data: z.enum(NO_DATA),
		labels: z.record(z.string(), z.string()),
		runbook_url: z.string().nullable(),
		channel_ids: z.array(z.string()),
		escalation_policy_id: z.string().nullable(),
		cooldown_seconds: z.number().int(),
		auto_resolve: z.boolean(),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("AlertRule");

export const RuleListSchema = z.object({ rules: z.array(RuleSchema) }).openapi("AlertRuleList");

/** The stored rule in the API's shape, times ISO. */
export function presentRule(row: AlertRuleRow): z.infer<typeof RuleSchema> {
	const r = ruleOf(row);
	return {
		...r,
		condition: r.condition as z.infer<typeof ConditionSchema>,
		created_at: iso(r.created_at),
		updated_at: iso(r.updated_at),
	};
}

/** A stored rule as input again: the base a PATCH is merged onto before the whole is revalidated. */
export function inputOf(row: AlertRuleRow): Record<string, unknown> {
	const { id: _id, created_at: _c, updated_at: _u, ...input } = ruleOf(row);
	return input;
}

/** The columns of a validated rule (filter absent or null is stored as null: match everything). */
export function ruleColumns(r: RuleInput) {
	return {
		name: r.name,
		description: r.description ?? null,
		enabled: r.enabled,
		severity: r.severity,
		condition: { ...r.condition, filter: r.condition.filter ?? null },
		forSeconds: r.for_seconds,
		resolveThreshold: r.resolve_threshold ?? null,
		noData: r.no_data,
		labels: r.labels,
		runbookUrl: r.runbook_url ?? null,
		channelIds: r.channel_ids,
		escalationPolicyId: r.escalation_policy_id ?? null,
		cooldownSeconds: r.cooldown_seconds,
		autoResolve: r.auto_resolve,
	};
}
