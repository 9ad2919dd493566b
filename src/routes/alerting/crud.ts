import { createRoute, type z } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonBody } from "../../lib/middleware";
import { IdParam, jsonContent } from "../../lib/router";
import { security, tags } from "./shared";

type ErrorStatus = Parameters<typeof errorResponses>[number];
type Doc = { operationId: string; summary: string; description?: string };

/** The write routes' errors unless a resource says otherwise (a body: 400, 413, 415, 422; its references: 404; uniqueness: 409). */
const WRITE_ERRORS: ErrorStatus[] = [400, 401, 403, 404, 409, 413, 415, 422];

/**
 * The create, get, update and delete routes of one alerting resource
 * (channels, rules, escalation policies, silences): the same roles (viewer
 * reads, admin writes), bodies, statuses and error envelopes for each; only
 * the texts, the schemas and a few error lists differ. Each resource keeps
 * its list route (queries and paging differ) and its handlers.
 */
export function itemRoutes<Item extends z.ZodType, Input extends z.ZodType, Patch extends z.ZodType>(o: {
	path: string;
	schemas: { item: Item; input: Input; patch: Patch };
	create: Doc & { response: string; errors?: ErrorStatus[] };
	get: Doc & { response: string };
	update: Doc & { response: string };
	remove: Doc & { errors?: ErrorStatus[] };
}) {
	const doc = (d: Doc) => ({
		operationId: d.operationId,
		tags,
		summary: d.summary,
		...(d.description ? { description: d.description } : {}),
		security,
	});
	const one = `${o.path}/{id}`;
	return {
		create: createRoute({
			method: "post",
			path: o.path,
			...doc(o.create),
			middleware: [requireUser("admin"), jsonBody] as const,
			request: { body: { required: true, content: jsonContent(o.schemas.input) } },
			responses: {
				201: { description: o.create.response, content: jsonContent(o.schemas.item) },
				...errorResponses(...(o.create.errors ?? WRITE_ERRORS)),
			},
		}),
		get: createRoute({
			method: "get",
			path: one,
			...doc(o.get),
			middleware: [requireUser("viewer")] as const,
			request: { params: IdParam },
			responses: {
				200: { description: o.get.response, content: jsonContent(o.schemas.item) },
				...errorResponses(401, 403, 404),
			},
		}),
		update: createRoute({
			method: "patch",
			path: one,
			...doc(o.update),
			middleware: [requireUser("admin"), jsonBody] as const,
			request: { params: IdParam, body: { required: true, content: jsonContent(o.schemas.patch) } },
			responses: {
				200: { description: o.update.response, content: jsonContent(o.schemas.item) },
				...errorResponses(...WRITE_ERRORS),
			},
		}),
		remove: createRoute({
			method: "delete",
			path: one,
			...doc(o.remove),
			middleware: [requireUser("admin")] as const,
			request: { params: IdParam },
			responses: {
				204: { description: "Deleted" },
				...errorResponses(...(o.remove.errors ?? [401, 403, 404])),
			},
		}),
	};
}
