import { defineConfig } from "vitest/config";

// The producer SDK (sdk/) is a client library: its unit tests run in plain Node
// against a fake transport the test controls. The workerd suite (vitest.config.ts)
// only includes test/**, so it never picks these up.
export default defineConfig({
	test: {
		include: ["sdk/test/**/*.test.ts"],
		environment: "node",
		testTimeout: 10_000,
	},
});
