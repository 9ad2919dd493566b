import { VERSION } from "./lib/router";

/**
 * The areas of the API, one tag per operation (the order the reference shows
 * them in). A route's `tags` must name one of these: the lint run and
 * test/openapi.test.ts check it.
 */
export const API_TAGS = [
	{ name: "Health", description: "Liveness, version and links; no credential needed." },
	{ name: "Auth", description: "Tenant registration, sign-in, token refresh and logout, one's own profile and password, password reset by email." },
	{ name: "Users", description: "The tenant's users and their roles (admin and owner)." },
	{ name: "API keys", description: "Keys for producers and scripts: shown once at creation, stored only as a hash, revoked at once." },
	{ name: "Tenant", description: "The tenant's settings (name, rate limit, retention) and its audit log." },
	{ name: "Ingestion", description: "Sending events (one or a batch) with an API key, and reading them back: search, one event, counters." },
	{ name: "Alerting", description: "Channels, rules, escalation policies, silences, alerts and their notifications." },
	{ name: "Dashboard", description: "Live figures from the tenant's object for dashboards, and the dashboard WebSocket." },
	{ name: "OpenTelemetry", description: "OTLP/HTTP trace and log exports from any OpenTelemetry SDK or collector, with an ingest-scoped key." },
	{ name: "Metrics", description: "The tenant's totals for Prometheus (text exposition format), scraped with a read key as Bearer." },
	{ name: "Operator", description: "The deployment's operators: tenants, plan ceilings and suspension (OPERATOR_TOKEN)." },
] as const;

/**
 * The operations anyone may call, as `<method> <path>`: they declare
 * `security: []`, and every other operation names its credential. The lint
 * run (scripts/lint-openapi.mjs) and test/routes/openapi.test.ts both check
 * the document against this list.
 */
export const PUBLIC_OPERATIONS = [
	"get /",
	"get /health",
	"post /api/v1/auth/register/tenant",
	"post /api/v1/auth/login",
	"post /api/v1/auth/refresh",
	"post /api/v1/auth/password-reset/request",
	"post /api/v1/auth/password-reset/confirm",
] as const;

/**
 * The document's top level. `servers` is the origin the document was fetched
 * from: every deployment (production, `npm run dev` on any port) describes
 * itself, and "try it" in /docs calls the same origin.
 */
export function openApiConfig(origin: string) {
	return {
		openapi: "3.1.0",
		info: {
			title: "PulseStream API",
			version: VERSION,
			description:
				"Event ingestion, search, live dashboards and alerting for many tenants. Producers send events with an API key " +
				"(`X-API-Key`); people and dashboards use a user access token (`Authorization: Bearer`). Every error has one " +
				"shape: `{error: {code, message, details?, request_id}}`. An interactive reference is at /docs.",
			contact: { name: "PulseStream", url: `${origin}/docs` },
		},
		servers: [{ url: origin, description: "This deployment" }],
		tags: [...API_TAGS],
	};
}
