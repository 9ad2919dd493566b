import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						ENVIRONMENT: "test",
						JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-signing",
						LOG_LEVEL: "warn",
						APP_URL: "https://pulsestream.test",
					},
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			exclude: ["test/e2e/**"],
			setupFiles: ["./test/setup/apply-migrations.ts"],
			testTimeout: 20_000,
		},
	};
});
