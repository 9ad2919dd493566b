// Secrets and optional variables that `wrangler types` cannot see in wrangler.toml.
declare namespace Cloudflare {
	interface Env {
		/** HS256 key for access and refresh tokens (Worker secret; required outside development). */
		JWT_SECRET?: string;
		/** HMAC key that tags every new API key, so the edge refuses keys we never issued (Worker secret; required outside development). */
		API_KEY_SECRET?: string;
		/** The secret API_KEY_SECRET replaced: keys it tagged are accepted while it is set (rotation). */
		API_KEY_SECRET_PREVIOUS?: string;
		/** Bearer token of the operator API (Worker secret, at least 32 characters; required outside development for /api/v1/operator). */
		OPERATOR_TOKEN?: string;
		/** The HTTP email API (Resend's `/emails` shape); without it emails go to the log. */
		EMAIL_API_URL?: string;
		EMAIL_API_KEY?: string;
		/** Sender of our emails (default "PulseStream <no-reply@pulsestream.dev>"). */
		EMAIL_FROM?: string;
		/** Public base URL for links in emails; required outside development (default there: the request's origin). */
		APP_URL?: string;
		/** PagerDuty Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue); tests and local runs point it elsewhere. */
		PAGERDUTY_EVENTS_URL?: string;
		/** Dashboard WebSockets per tenant (default 1,000). */
		MAX_SOCKETS_PER_TENANT?: string;
		/** A request at least this slow (ms) is logged whatever its status (default 1,000). */
		SLOW_REQUEST_MS?: string;
	}
}
