import { and, asc, eq } from "drizzle-orm";
import type { ChannelType } from "../../alerting/types";
import { db } from "../../db/client";
import { type AlertChannelRow, alertChannels } from "../../db/schema";
import { tenantStub } from "../../lib/auth";
import { newId } from "../../lib/crypto";
import { ApiError, validationError } from "../../lib/errors";
import type { AppRouteHandler } from "../../lib/types";
import { unsafeUrlReason } from "../../lib/url-guard";
import type { createChannel, deleteChannel, getChannel, listChannels, patchChannel, testChannel } from "./channels.routes";
import { CONFIG_SCHEMAS, newWebhookSecret, presentChannel } from "./channels.schemas";
import { channelUnused, channelUsers, stillUsed } from "./refs";
import { bumpVersion, changedMeanwhile, countBelow, handOver, insertWhere, nextUpdatedAt, notFound } from "./shared";
import { auditConfig } from "./audit";

/** Channels per tenant: bounds the snapshot the tenant's object holds. */
export const MAX_CHANNELS = 200;

async function loadChannel(env: Env, tenantId: string, id: string): Promise<AlertChannelRow> {
	const row = await db(env)
		.select()
		.from(alertChannels)
		.where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId)))
		.get();
	if (!row) throw notFound("alert channel", id);
	return row;
}

/** The URL field of a type that posts somewhere: refused unless https to a public host (outside development). */
const URL_FIELD: Partial<Record<ChannelType, string>> = { webhook: "url", slack: "webhook_url" };

function assertSafeUrl(env: Env, type: ChannelType, config: Record<string, unknown>): void {
	const field = URL_FIELD[type];
	if (!field) return;
	const reason = unsafeUrlReason(String(config[field]), env);
	if (reason) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: `config.${field} ${reason}.`,
			details: [{ path: `config.${field}`, message: reason }],
		});
	}
}

export const listChannelsHandler: AppRouteHandler<typeof listChannels> = async (c) => {
	const rows = await db(c.env)
		.select()
		.from(alertChannels)
		.where(eq(alertChannels.tenantId, c.get("user").tenantId))
		.orderBy(asc(alertChannels.createdAt), asc(alertChannels.id))
		.all();
	return c.json({ channels: rows.map((r) => presentChannel(r)) }, 200);
};

export const createChannelHandler: AppRouteHandler<typeof createChannel> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const body = c.req.valid("json");
	assertSafeUrl(c.env, body.type, body.config);
	const config = body.type === "webhook" ? { ...body.config, secret: body.config.secret ?? newWebhookSecret() } : body.config;
	const now = Date.now();
	const row: AlertChannelRow = { id: newId(), tenantId, name: body.name, type: body.type, config, createdAt: now, updatedAt: now };
	const [created] = await db(c.env).batch([
		insertWhere(c.env, alertChannels, row, countBelow("alert_channels", tenantId, MAX_CHANNELS)),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "alert_channel.created", row.id),
	]);
	if (created.length === 0) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: `A tenant has at most ${MAX_CHANNELS} alert channels; delete one first.`,
			details: [{ path: "(body)", message: `at most ${MAX_CHANNELS} channels per tenant` }],
		});
	}
	await handOver(c, tenantId);
	// The only response that shows a webhook's secret.
	c.header("Cache-Control", "no-store");
	return c.json(presentChannel(created[0]!, true), 201);
};

export const getChannelHandler: AppRouteHandler<typeof getChannel> = async (c) => {
	const row = await loadChannel(c.env, c.get("user").tenantId, c.req.valid("param").id);
	return c.json(presentChannel(row), 200);
};

/**
 * The config is validated against the channel's own type and replaced whole,
 * except that a webhook config without `secret` keeps the old secret (so a
 * URL change does not force every receiver to re-key). The write is guarded
 * by `updated_at`, so of two racing PATCHes the later one is told to retry
 * rather than silently undoing the other.
 */
export const patchChannelHandler: AppRouteHandler<typeof patchChannel> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	const patch = c.req.valid("json");
	const before = await loadChannel(c.env, tenantId, id);
	if (patch.type !== undefined && patch.type !== before.type) {
		throw new ApiError({
			code: "VALIDATION_ERROR",
			message: "A channel's type cannot be changed; create a new channel instead.",
			details: [{ path: "type", message: `this channel is a ${before.type} channel` }],
		});
	}
	let config = before.config;
	let newSecret = false;
	if (patch.config !== undefined) {
		const parsed = CONFIG_SCHEMAS[before.type].safeParse(patch.config);
		if (!parsed.success) throw validationError(parsed.error, ["config"]);
		const next = parsed.data as Record<string, unknown>;
		assertSafeUrl(c.env, before.type, next);
		if (before.type === "webhook") {
			newSecret = next.secret !== undefined;
			config = { ...next, secret: next.secret ?? before.config.secret };
		} else config = next;
	}
	const d = db(c.env);
	const [updated] = await d.batch([
		d
			.update(alertChannels)
			.set({ name: patch.name ?? before.name, config, updatedAt: nextUpdatedAt(before.updatedAt) })
			.where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId), eq(alertChannels.updatedAt, before.updatedAt)))
			.returning(),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "alert_channel.updated", id),
	]);
	if (updated.length === 0) {
		await loadChannel(c.env, tenantId, id);
		throw changedMeanwhile("channel");
	}
	await handOver(c, tenantId);
	if (newSecret) c.header("Cache-Control", "no-store");
	return c.json(presentChannel(updated[0]!, newSecret), 200);
};

/**
 * A channel still named by a rule or a policy step is not deleted (409 naming
 * them): alerts would otherwise quietly stop reaching anyone. The check is
 * repeated inside the DELETE, so a rule created meanwhile cannot slip through.
 */
export const deleteChannelHandler: AppRouteHandler<typeof deleteChannel> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	await loadChannel(c.env, tenantId, id);
	const users = await channelUsers(c.env, tenantId, id);
	if (users.rules.length || users.policies.length) throw stillUsed("channel", users.rules, users.policies);
	const d = db(c.env);
	const [deleted] = await d.batch([
		d
			.delete(alertChannels)
			.where(and(eq(alertChannels.id, id), eq(alertChannels.tenantId, tenantId), channelUnused(tenantId, id)))
			.returning({ id: alertChannels.id }),
		bumpVersion(c.env, tenantId),
		auditConfig(c, tenantId, "alert_channel.deleted", id),
	]);
	if (deleted.length === 0) {
		await loadChannel(c.env, tenantId, id);
		const now = await channelUsers(c.env, tenantId, id);
		throw now.rules.length || now.policies.length ? stillUsed("channel", now.rules, now.policies) : changedMeanwhile("channel");
	}
	await handOver(c, tenantId);
	return c.body(null, 204);
};

/** The tenant's object records the `test` notification and queues it, like any other. */
export const testChannelHandler: AppRouteHandler<typeof testChannel> = async (c) => {
	const tenantId = c.get("user").tenantId;
	const { id } = c.req.valid("param");
	await loadChannel(c.env, tenantId, id);
	const notificationId = await tenantStub(c.env, tenantId).testChannel(tenantId, id);
	// The object may not have the channel yet when its hand-over failed: the same 404 as an unknown id.
	if (notificationId === null) throw notFound("alert channel", id);
	return c.json({ notification_id: notificationId }, 202);
};
