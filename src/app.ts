import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode, errorBody } from "./lib/errors";
import { log } from "./lib/log";
import { requestContext, requireConfig } from "./lib/middleware";
import { createRouter } from "./lib/router";
import { openApiConfig } from "./openapi";
import { alertingRoutes } from "./routes/alerting";
import { apiKeyRoutes } from "./routes/api-keys";
import { auditLogRoutes } from "./routes/audit-log";
import { authRoutes } from "./routes/auth";
import { dashboardRoutes } from "./routes/dashboard";
import { dashboardAppRoutes } from "./routes/dashboard-app";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { ingestionRoutes } from "./routes/ingestion";
import { metricsRoutes } from "./routes/metrics";
import { otlpRoutes } from "./routes/otlp";
import { operatorRoutes } from "./routes/operator";
import { tenantRoutes } from "./routes/tenant";
import { userRoutes } from "./routes/users";

export function createApp() {
	const app = createRouter();

	app.use("*", requestContext);
	app.use("/api/*", requireConfig);

	app.route("/", healthRoutes);
	app.route("/api/v1", authRoutes);
	app.route("/api/v1", userRoutes);
	app.route("/api/v1", apiKeyRoutes);
	app.route("/api/v1", auditLogRoutes);
	app.route("/api/v1", tenantRoutes);
	app.route("/api/v1", ingestionRoutes);
	app.route("/api/v1", otlpRoutes);
	app.route("/api/v1", alertingRoutes);
	app.route("/api/v1", dashboardRoutes);
	app.route("/api/v1", metricsRoutes);
	app.route("/api/v1", operatorRoutes);
	// The web dashboard's page (outside /api/v1, not an API operation).
	app.route("/", dashboardAppRoutes);
	// The interactive API reference built from /openapi.json (not an API operation).
	app.route("/", docsRoutes);

	app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
		type: "apiKey",
		in: "header",
		name: "X-API-Key",
	});
	app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", {
		type: "http",
		scheme: "bearer",
		bearerFormat: "JWT",
	});
	// Browsers cannot set headers on a WebSocket: the dashboard socket takes the access token in ?token=.
	app.openAPIRegistry.registerComponent("securitySchemes", "AccessTokenQuery", {
		type: "apiKey",
		in: "query",
		name: "token",
		description: "A user access token (the JWT of POST /auth/login) in the query; the dashboard WebSocket only.",
	});
	app.openAPIRegistry.registerComponent("securitySchemes", "OperatorToken", {
		type: "http",
		scheme: "bearer",
		description: "The deployment's OPERATOR_TOKEN (a Worker secret); accepted on /operator routes only.",
	});
	app.doc31("/openapi.json", (c) => openApiConfig(new URL(c.req.url).origin));

	app.notFound((c) =>
		c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`, c.get("requestId")), 404),
	);

	app.onError((err, c) => {
		const requestId = c.get("requestId") ?? crypto.randomUUID();
		let apiError: ApiError;
		if (err instanceof ApiError) apiError = err;
		else if (err instanceof HTTPException && err.status < 500) {
			const code: ErrorCode =
				err.status === 400
					? "INVALID_JSON"
					: err.status === 413
						? "PAYLOAD_TOO_LARGE"
						: err.status === 415
							? "UNSUPPORTED_MEDIA_TYPE"
							: "VALIDATION_ERROR";
			apiError = new ApiError({ code, message: err.message });
		} else {
			// Unknown failures are logged whole and answered without detail.
			log("error", "unhandled error", {
				request_id: requestId,
				error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
				stack: err instanceof Error ? err.stack : undefined,
			});
			apiError = new ApiError({ code: "INTERNAL", message: "Something went wrong on our side." });
		}
		const res = c.json(
			errorBody(apiError.code, apiError.message, requestId, apiError.details),
			apiError.status,
		);
		for (const [k, v] of Object.entries(apiError.headers ?? {})) res.headers.set(k, v);
		res.headers.set("X-Request-Id", requestId);
		return res;
	});

	return app;
}
