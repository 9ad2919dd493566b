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
	description: "Webhook secrets, Slack webhook URLs and PagerDuty routing keys are masked in every read.",
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
	description: "Sends a `test` notification through the same queue as alerts; follow its delivery in /alerting/notifications with the returned id.",
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
	get: { operationId: "getAlertChannel", summary: "One channel (viewer+; secrets masked)", description: "Its type and config, with credentials masked.", response: "The channel" },
	update: {
		operationId: "updateAlertChannel",
		summary: "Rename a channel or replace its config (admin+; the type cannot change)",
		description: "A new config replaces the old one whole and is validated like a new channel's.",
		response: "The updated channel (with the webhook secret only when this PATCH set one)",
	},
	remove: { operationId: "deleteAlertChannel", summary: "Delete a channel that no rule or escalation policy uses (admin+)", description: "A channel still used by a rule or an escalation policy is 409: remove it there first.", errors: [401, 403, 404, 409] },
});
