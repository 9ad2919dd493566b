import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { itemRoutes } from "./crud";
import { SilenceInputSchema, SilenceListSchema, SilencePatchSchema, SilenceQuery, SilenceSchema } from "./silences.schemas";
import { security, tags } from "./shared";

const PATH = "/alerting/silences";

export const listSilences = createRoute({
	method: "get",
	path: PATH,
	operationId: "listSilences",
	tags,
	summary: "The tenant's silences, newest first (viewer+; `active=true` for those in force now)",
	description: "Cursor pagination, newest first.",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { query: SilenceQuery },
	responses: {
		200: { description: "A page of silences and the cursor of the next", content: jsonContent(SilenceListSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const { create: createSilence, get: getSilence, update: patchSilence, remove: deleteSilence } = itemRoutes({
	path: PATH,
	schemas: { item: SilenceSchema, input: SilenceInputSchema, patch: SilencePatchSchema },
	create: {
		operationId: "createSilence",
		summary: "Silence a rule's alerts, or alerts with given labels, for a while (admin+)",
		description:
			"While a silence matches, alerts still open and are recorded but send no notification. " +
			"At most 1,000 silences not yet ended per tenant.",
		response: "The silence",
	},
	get: { operationId: "getSilence", summary: "One silence (viewer+)", description: "Its matchers (a rule or labels), time range and comment.", response: "The silence" },
	update: { operationId: "updateSilence", summary: "Change a silence (admin+), e.g. extend or shorten it", description: "Fields not sent keep their values.", response: "The updated silence" },
	remove: { operationId: "deleteSilence", summary: "Delete (lift) a silence (admin+)", description: "Alerts it matched send notifications again from their next change." },
});
