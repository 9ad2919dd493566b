import { defineConfig } from "drizzle-kit";

// drizzle-kit writes plain SQL migrations into the folder that
// `wrangler d1 migrations apply` reads (wrangler.toml `migrations_dir`).
export default defineConfig({
	dialect: "sqlite",
	schema: "./src/db/schema.ts",
	out: "./migrations",
});
