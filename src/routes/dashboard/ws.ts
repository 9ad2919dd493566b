import { createRoute, z } from "@hono/zod-openapi";
import { requireRead, tenantStub, tenantSuspended, userPrincipal } from "../../lib/auth";
import { ApiError, errorResponses, unauthorized } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import type { AppRouteHandler } from "../../lib/types";

const tags = ["Dashboard"];

const ConnectionStatsSchema = z
	.object({
		connections: z.number().int(),
		subscriptions: z.object({ events: z.number().int(), metrics: z.number().int(), alerts: z.number().int() }),
	})
	.openapi("ConnectionStats");

export const connectionStats = createRoute({
	method: "get",
	path: "/dashboard/connections/stats",
	operationId: "getDashboardConnectionStats",
	tags,
	summary: "Open dashboard WebSockets of the tenant and their subscriptions",
	description: "Counted by the tenant's object, which holds the sockets.",
	security: [{ Bearer: [] }, { ApiKey: [] }],
	middleware: [requireRead] as const,
	responses: {
		200: { description: "Sockets and subscriptions", content: jsonContent(ConnectionStatsSchema) },
		...errorResponses(401, 403),
	},
});

export const connectionStatsHandler: AppRouteHandler<typeof connectionStats> = async (c) => {
	const { tenantId } = c.get("principal");
	return c.json(await tenantStub(c.env, tenantId).connectionStats(), 200);
};

export const dashboardSocket = createRoute({
	method: "get",
	path: "/dashboard/ws/{tenant_id}",
	operationId: "openDashboardSocket",
	tags,
	summary: "WebSocket upgrade to the tenant's live dashboard (user access token in ?token=)",
	description:
		"Frames are JSON text. The access token goes in the query because browsers cannot set headers on a WebSocket. " +
		"Past the tenant's socket limit (1,000 by default) the upgrade is refused with 429 CONNECTION_LIMIT.",
	security: [{ AccessTokenQuery: [] }],
	request: {
		params: z.object({ tenant_id: z.string().min(1).max(64).openapi({ param: { name: "tenant_id", in: "path" } }) }),
		query: z.object({ token: z.string().max(4096).optional() }),
	},
	responses: {
		101: { description: "Switching protocols: the socket is open" },
		...errorResponses(401, 403, 426, 429),
	},
});

/**
 * Checks the token at the edge (signature, expiry, live session and active
 * user, as on every user route), then hands the upgrade to the tenant's
 * object with who opened it. A user of another tenant is 403; a request
 * that is not an upgrade is 426 once the token is known good.
 */
export const dashboardSocketHandler: AppRouteHandler<typeof dashboardSocket> = async (c) => {
	const { tenant_id } = c.req.valid("param");
	const { token } = c.req.valid("query");
	if (!token) throw unauthorized("Pass the access token as ?token=<access_token>.");
	const user = await userPrincipal(c.env, token);
	if (user.tenantId !== tenant_id) throw new ApiError({ code: "FORBIDDEN", message: "The token belongs to another tenant." });
	if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
		throw new ApiError({
			code: "UPGRADE_REQUIRED",
			message: "This route is a WebSocket endpoint: send an Upgrade: websocket request.",
			headers: { Upgrade: "websocket" },
		});
	}
	const res = await tenantStub(c.env, user.tenantId).fetch(
		new Request("https://tenant.internal/ws", {
			headers: {
				Upgrade: "websocket",
				"x-tenant-id": user.tenantId,
				"x-user-id": user.userId,
				"x-session-id": user.sessionId,
				"x-user-role": user.role,
			},
		}),
	);
	if (res.status === 429) {
		const { limit } = await res.json<{ limit: number }>();
		throw new ApiError({
			code: "CONNECTION_LIMIT",
			message: `The tenant has ${limit} open dashboard sockets, its limit; close one or try again later.`,
			headers: { "Retry-After": "30" },
		});
	}
	// A suspension that landed between the edge's check and the upgrade.
	if (res.status === 403) throw tenantSuspended();
	// The object knows no such tenant (it was never configured): the token names nothing we hold.
	if (res.status === 404) throw unauthorized("The access token's tenant is unknown.");
	if (res.status !== 101 || !res.webSocket) throw new Error(`tenant object refused the socket: ${res.status}`);
	// A fresh response: the object's has immutable headers, and the request middleware adds X-Request-Id.
	return new Response(null, { status: 101, webSocket: res.webSocket }) as never;
};

