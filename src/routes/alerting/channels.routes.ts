import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { IdParam, jsonContent } from "../../lib/router";
import { itemRoutes } from "./crud";
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

export const { create: createChannel, get: getChannel, update: patchChannel, remove: deleteChannel } = itemRoutes({
	path: PATH,
	schemas: { item: ChannelSchema, input: CreateChannelSchema, patch: ChannelPatchSchema },
	create: {
		operationId: "createAlertChannel",
		summary: "Create a webhook, Slack, email or PagerDuty channel (admin+)",
		description:
			"A webhook's signing secret is generated when absent and shown only in this response. " +
			"Outside development only https URLs to public hosts are accepted. At most 200 channels per tenant.",
		response: "The channel (with its webhook secret, this once)",
		// Nothing it refers to, nothing unique in it.
		errors: [400, 401, 403, 413, 415, 422],
	},
	get: { operationId: "getAlertChannel", summary: "One channel (viewer+; secrets masked)", response: "The channel" },
	update: {
		operationId: "updateAlertChannel",
		summary: "Rename a channel or replace its config (admin+; the type cannot change)",
		response: "The updated channel (with the webhook secret only when this PATCH set one)",
	},
	remove: { operationId: "deleteAlertChannel", summary: "Delete a channel that no rule or escalation policy uses (admin+)", errors: [401, 403, 404, 409] },
});
