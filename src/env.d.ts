// Secrets and optional variables that `wrangler types` cannot see in wrangler.toml.
declare namespace Cloudflare {
	interface Env {
		/** HS256 key for access and refresh tokens (Worker secret; required outside development). */
		JWT_SECRET?: string;
		EMAIL_API_URL?: string;
		EMAIL_API_KEY?: string;
	}
}
