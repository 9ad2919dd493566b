import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { IdParam, jsonContent } from "../../lib/router";
import { AlertActionSchema, AlertDetailSchema, AlertListSchema, AlertQuery, AlertSchema } from "./alerts.schemas";
import { optionalJsonBody, security, tags } from "./shared";

const PATH = "/alerting/alerts";

export const listAlerts = createRoute({
	method: "get",
	path: PATH,
	operationId: "listAlerts",
	tags,
	summary: "The tenant's alerts, most recently triggered first (viewer+)",
	description: "Filter by `status`, `severity` and `rule_id`; cursor pagination.",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { query: AlertQuery },
	responses: {
		200: { description: "A page of alerts and the cursor of the next", content: jsonContent(AlertListSchema) },
		...errorResponses(401, 403, 422),
	},
});

export const getAlert = createRoute({
	method: "get",
	path: `${PATH}/{id}`,
	operationId: "getAlert",
	tags,
	summary: "One alert with its timeline and notifications (viewer+)",
	description: "The `timeline` lists the alert's state changes and notifications, oldest first.",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { params: IdParam },
	responses: {
		200: { description: "The alert", content: jsonContent(AlertDetailSchema) },
		...errorResponses(401, 403, 404),
	},
});

const SUMMARIES = {
	acknowledge: "Acknowledge an alert (admin+): escalation stops",
	resolve: "Resolve an alert by hand (admin+)",
	escalate: "Escalate an alert to its policy's next step now (admin+)",
} as const;

export type AlertAction = keyof typeof SUMMARIES;

/** The three actions share everything but their verb. */
function actionRoute<A extends AlertAction>(action: A) {
	return createRoute({
		method: "post",
		path: `${PATH}/{id}/${action}` as `/alerting/alerts/{id}/${A}`,
		operationId: `${action}Alert`,
		tags,
		summary: SUMMARIES[action],
		description: "Takes an optional `{note}`; a POST without a body needs no Content-Type.",
		security,
		middleware: [requireUser("admin"), optionalJsonBody] as const,
		request: { params: IdParam, body: { required: false, content: jsonContent(AlertActionSchema) } },
		responses: {
			200: { description: "The alert as the action left it", content: jsonContent(AlertSchema) },
			...errorResponses(400, 401, 403, 404, 409, 413, 415, 422),
		},
	});
}

export const acknowledgeAlert = actionRoute("acknowledge");
export const resolveAlert = actionRoute("resolve");
export const escalateAlert = actionRoute("escalate");
