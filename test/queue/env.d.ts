declare namespace Cloudflare {
	interface Env {
		/** wrangler.toml's text (vitest.config.ts), to check constants against the config. */
		TEST_WRANGLER_TOML: string;
	}
}
