import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { SilenceInputSchema, SilenceListSchema, SilencePatchSchema, SilenceQuery, SilenceSchema } from "./silences.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/silences";

export const listSilences = createRoute({
	method: "get",
	path: PATH,
	operationId: "listSilences",
	tags,
	summary: "The tenant's silences, newest first (viewer+; `active=true` for those in force now)",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { query: SilenceQuery },
	responses: {
		200: { description: "A page of silences and the cursor of the next", content: jsonContent(SilenceListSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const createSilence = createRoute({
	method: "post",
	path: PATH,
	operationId: "createSilence",
	tags,
	summary: "Silence a rule's alerts, or alerts with given labels, for a while (admin+)",
	description:
		"While a silence matches, alerts still open and are recorded but send no notification. " +
		"At most 1,000 silences not yet ended per tenant.",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { body: { required: true, content: jsonContent(SilenceInputSchema) } },
	responses: {
		201: { description: "The silence", content: jsonContent(SilenceSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const getSilence = createRoute({
	method: "get",
	path: `${PATH}/{id}`,
	operationId: "getSilence",
	tags,
	summary: "One silence (viewer+)",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The silence", content: jsonContent(SilenceSchema) },
		...errorResponses(401, 403, 404),
	},
});

export const patchSilence = createRoute({
	method: "patch",
	path: `${PATH}/{id}`,
	operationId: "updateSilence",
	tags,
	summary: "Change a silence (admin+), e.g. extend or shorten it",
	security,
	middleware: [requireUser("admin"), jsonBody] as const,
	request: { params: IdParam, body: { required: true, content: jsonContent(SilencePatchSchema) } },
	responses: {
		200: { description: "The updated silence", content: jsonContent(SilenceSchema) },
		...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
	},
});

export const deleteSilence = createRoute({
	method: "delete",
	path: `${PATH}/{id}`,
	operationId: "deleteSilence",
	tags,
	summary: "Delete (lift) a silence (admin+)",
	security,
	middleware: [requireUser("admin")] as const,
	request: { params: IdParam },
	responses: {
		204: { description: "Deleted" },
		...errorResponses(401, 403, 404),
	},
});
