import { defineConfig } from "vitest/config";

// End-to-end: the system as `npm run dev` serves it (wrangler dev, local D1
// migrated by scripts/dev.mjs), driven over real HTTP from Node.
export default defineConfig({
	test: {
		include: ["test/e2e/**/*.test.ts"],
		globalSetup: ["./test/e2e/global-setup.ts"],
		// Each request a test sends without CF-Connecting-IP gets its own address (see the file).
		setupFiles: ["./test/e2e/client-address.ts"],
		testTimeout: 30_000,
		hookTimeout: 120_000,
		fileParallelism: false,
	},
});
