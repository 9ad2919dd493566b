#!/usr/bin/env node
// `npm run dev [-- <any wrangler dev flags>]`: applies the local D1 migrations
// to the same state directory wrangler dev will use, prints how to start, then
// runs wrangler dev in development mode (no secret to set).
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const persistIndex = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persist =
	persistIndex === -1
		? []
		: args[persistIndex].includes("=")
			? [args[persistIndex]]
			: ["--persist-to", args[persistIndex + 1]];
const portArg = args.find((a, i) => a.startsWith("--port=") || args[i - 1] === "--port");
const port = portArg ? portArg.replace("--port=", "") : "8787";
// The project's own wrangler, so `node scripts/dev.mjs` works outside npm too.
const wrangler = fileURLToPath(
	new URL(`../node_modules/.bin/${process.platform === "win32" ? "wrangler.cmd" : "wrangler"}`, import.meta.url),
);

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...persist], {
	stdio: ["ignore", "inherit", "inherit"],
	env: { ...process.env, CI: "true" },
});
if (migrate.error) {
	console.error(`Could not run wrangler (${migrate.error.message}); run \`npm install\` first.`);
	process.exit(1);
}
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const base = `http://localhost:${port}`;
// Must equal DEV_OPERATOR_TOKEN in src/lib/config.ts (the Worker's development default);
// test/e2e/operator.test.ts uses the printed value, so a drift fails it.
const DEV_OPERATOR_TOKEN = "pulsestream-development-operator-token-do-not-deploy";
console.log(`
PulseStream is starting on ${base}  (OpenAPI: ${base}/openapi.json)

See it alive: run \`npm run demo\` in another terminal, then sign in at ${base}/dashboard
(it prints the demo tenant's sign-in details and sends live traffic that fires a demo alert).

Create a first tenant (it answers with an API key and tokens):
  curl -s ${base}/api/v1/auth/register/tenant -H 'Content-Type: application/json' \\
    -d '{"name":"Acme","slug":"acme","email":"owner@acme.test","password":"change-me-please"}'

Sign in later (answers a token pair for Authorization: Bearer <access_token>):
  curl -s ${base}/api/v1/auth/login -H 'Content-Type: application/json' \\
    -d '{"tenant":"acme","email":"owner@acme.test","password":"change-me-please"}'

Send an event with the api_key.key from the registration answer:
  curl -s ${base}/api/v1/ingestion/events -H 'Content-Type: application/json' -H 'X-API-Key: <key>' \\
    -d '{"event_type":"api_call","endpoint":"/v1/orders","method":"GET","status_code":200,"response_time_ms":12.5}'

Operate the platform (list tenants, raise ceilings, suspend) with the development operator token:
  Operator token (development only): ${DEV_OPERATOR_TOKEN}
  curl -s ${base}/api/v1/operator/tenants -H 'Authorization: Bearer ${DEV_OPERATOR_TOKEN}'
`);

// Crons never fire by themselves locally; --test-scheduled adds /__scheduled?cron=<expression> to fire one.
const scheduled = args.includes("--test-scheduled") ? [] : ["--test-scheduled"];
const dev = spawn(wrangler, ["dev", "--var", "ENVIRONMENT:development", ...scheduled, ...args], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
