import { createRoute } from "@hono/zod-openapi";
import { requireUser } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { NotificationListSchema, NotificationQuery } from "./notifications.schemas";
import { security, tags } from "./shared";

export const listNotifications = createRoute({
	method: "get",
	path: "/alerting/notifications",
	operationId: "listNotifications",
	tags,
	summary: "Notifications of the tenant's alerts and channel tests, newest first (viewer+)",
	description: "Filter by `alert_id` and `status`; a notification keeps its id across delivery attempts.",
	security,
	middleware: [requireUser("viewer")] as const,
	request: { query: NotificationQuery },
	responses: {
		200: { description: "A page of notifications and the cursor of the next", content: jsonContent(NotificationListSchema) },
		...errorResponses(401, 403, 422),
	},
});
