import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import {
	ChannelListSchema,
	ChannelPatchSchema,
	ChannelSchema,
	CreateChannelSchema,
	TestSentSchema,
} from "./channels.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/channels";

export const listChannels = createRoute({
	method: "get",
	path: PATH,
	operationId: "listAlertChannels",
	tags,
	summary: "The tenant's notification channels, oldest first (viewer+; secrets masked)",
	security,
	middleware: [requireUser("viewer")] as const,
	responses: {
		200: { description: "Channels", content: jsonContent(ChannelListSchema) },
		...errorResponses(401, 403),
	},
});

export const createChannel = createRoute({
	method: "post",
	path: PATH,
	operationId: "createAlertChannel",
	tags,
	summary: "Create a webhook, Slack, email or PagerDuty channel (admin+)",
	description:
		"A webhook's signing secret is generated when absent and shown only in this response. " +
		"Outside development only https URLs to public hosts are accepted. At most 200 channels per tenant.",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(CreateChannelSchema) } },
	responses: {
		201: { description: "The channel (with its webhook secret, this once)", content: jsonContent(ChannelSchema) },
		...errorResponses(400, 401, 403, 413, 415, 422),
	},
});

export const getChannel = createRoute({
	method: "get",
	path: `${PATH}/{id}`,
	operationId: "getAlertChannel",
	tags,
	summary: "One channel (viewer+; secrets masked)",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The channel", content: jsonContent(ChannelSchema) },
		...errorResponses(401, 403, 404),
	},
});

export const patchChannel = createRoute({
	method: "patch",
	path: `${PATH}/{id}`,
	operationId: "updateAlertChannel",
	tags,
	summary: "Rename a channel or replace its config (admin+; the type cannot change)",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(ChannelPatchSchema) } },
	responses: {
		200: { description: "The updated channel (with the webhook secret only when this PATCH set one)", content: jsonContent(ChannelSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const deleteChannel = createRoute({
	method: "delete",
	path: `${PATH}/{id}`,
	operationId: "deleteAlertChannel",
	tags,
	summary: "Delete a channel that no rule or escalation policy uses (admin+)",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Deleted" },
		...errorResponses(401, 403, 404, 409),
	},
});

export const testChannel = createRoute({
	method: "post",
	path: `${PATH}/{id}/test`,
	operationId: "testAlertChannel",
	tags,
	summary: "Queue a test notification to the channel (admin+; no body needed)",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		202: { description: "Queued; follow it in /alerting/notifications", content: jsonContent(TestSentSchema) },
		...errorResponses(401, 403, 404),
	},
});
