import { z } from "@hono/zod-openapi";
import { channelOf } from "../../alerting/snapshot";
import { CHANNEL_TYPES, type ChannelType } from "../../alerting/types";
import type { AlertChannelRow } from "../../db/schema";
import { randomBytes, toBase64Url } from "../../lib/crypto";
import { Email } from "../auth/auth.schemas";
import { iso } from "./shared";

/** URLs are checked against the deployment's rules (https, public host) in the handler, which knows `ENVIRONMENT`. */
const Url = z.string().min(1).max(2048);

export const WebhookConfigSchema = z
	.strictObject({
		url: Url,
		secret: z
			.string()
			.min(16)
			.max(256)
			.optional()
			.openapi({ description: "Signs every delivery (HMAC-SHA256); generated when absent, shown only when set" }),
	})
	.openapi("WebhookConfig");

export const SlackConfigSchema = z
	.strictObject({ webhook_url: Url.openapi({ description: "A Slack incoming-webhook URL (it embeds a token: reads mask it)" }) })
	.openapi("SlackConfig");

export const EmailConfigSchema = z
	.strictObject({
		to: z
			.array(Email)
			.min(1)
			.max(20)
			.refine((to) => new Set(to).size === to.length, { message: "addresses must be distinct" }),
	})
	.openapi("EmailConfig");

export const PagerDutyConfigSchema = z
	.strictObject({
		routing_key: z
			.string()
			.regex(/^[A-Za-z0-9]{32}$/, "a 32-character PagerDuty Events API v2 integration key")
			.openapi({ description: "Events API v2 integration key (reads show only its last 4 characters)" }),
	})
	.openapi("PagerDutyConfig");

/** The config each type takes: a PATCH validates against the channel's own type. */
export const CONFIG_SCHEMAS = {
	webhook: WebhookConfigSchema,
	slack: SlackConfigSchema,
	email: EmailConfigSchema,
	pagerduty: PagerDutyConfigSchema,
} as const satisfies Record<ChannelType, z.ZodType>;

const Name = z.string().trim().min(1).max(200);

export const CreateChannelSchema = z
	.discriminatedUnion("type", [
		z.strictObject({ name: Name, type: z.literal("webhook"), config: WebhookConfigSchema }),
		z.strictObject({ name: Name, type: z.literal("slack"), config: SlackConfigSchema }),
		z.strictObject({ name: Name, type: z.literal("email"), config: EmailConfigSchema }),
		z.strictObject({ name: Name, type: z.literal("pagerduty"), config: PagerDutyConfigSchema }),
	])
	.openapi("CreateAlertChannel");

export const ChannelPatchSchema = z
	.strictObject({
		name: Name.optional(),
		type: z.enum(CHANNEL_TYPES).optional().openapi({ description: "May be given, but must be the channel's type" }),
		config: z
			.record(z.string(), z.unknown())
			.optional()
			.openapi({ description: "A whole config of the channel's type; a webhook config without `secret` keeps the old one" }),
	})
	.openapi("AlertChannelPatch");

const ChannelConfigView = z.union([
	z.object({ url: z.string(), has_secret: z.boolean(), secret: z.string().optional() }),
	z.object({ webhook_url: z.string() }),
	z.object({ to: z.array(z.string()) }),
	z.object({ routing_key: z.string() }),
]);

export const ChannelSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		type: z.enum(CHANNEL_TYPES),
		config: ChannelConfigView.openapi({
			description: "Secrets are never shown again: a webhook's `secret` only in the response that set it, Slack URLs and PagerDuty keys masked",
		}),
		created_at: z.string(),
		updated_at: z.string(),
	})
	.openapi("AlertChannel");

export const ChannelListSchema = z.object({ channels: z.array(ChannelSchema) }).openapi("AlertChannelList");

export const TestSentSchema = z.object({ notification_id: z.string() }).openapi("ChannelTestQueued");

/** A fresh webhook signing secret: 32 random bytes, prefixed like Svix and Stripe so it is recognisable in a leak scan. */
export const newWebhookSecret = () => `whsec_${toBase64Url(randomBytes(32))}`;

/** Scheme, host and first path segment of a URL, then "…": enough to recognise, not enough to post to. */
export function maskUrl(raw: string): string {
	try {
		const u = new URL(raw);
		const first = u.pathname.split("/").find(Boolean);
		return `${u.protocol}//${u.host}/${first ? `${first}/` : ""}…`;
	} catch {
		return "…";
	}
}

/** A channel as the API shows it; `reveal` adds a webhook's secret (only where it was just set). */
export function presentChannel(row: AlertChannelRow, reveal = false): z.infer<typeof ChannelSchema> {
	const ch = channelOf(row);
	let config: z.infer<typeof ChannelConfigView>;
	switch (ch.type) {
		case "webhook":
			config = { url: ch.config.url, has_secret: Boolean(ch.config.secret), ...(reveal ? { secret: ch.config.secret } : {}) };
			break;
		case "slack":
			config = { webhook_url: maskUrl(ch.config.webhook_url) };
			break;
		case "email":
			config = { to: ch.config.to };
			break;
		case "pagerduty":
			config = { routing_key: `…${ch.config.routing_key.slice(-4)}` };
			break;
	}
	return { id: row.id, name: row.name, type: row.type, config, created_at: iso(row.createdAt), updated_at: iso(row.updatedAt) };
}
