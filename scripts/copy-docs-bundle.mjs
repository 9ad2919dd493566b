// Copies Scalar's self-contained API reference bundle into the Worker's static
// assets (public/docs/assets/), so GET /docs loads it from this origin: CI and
// many deployments have no internet access, and the page's Content-Security-Policy
// allows scripts from 'self' only. Called by scripts/build-dashboard.mjs (and so
// by npm run dev, npm test and npm run deploy). Idempotent: an unchanged file is
// not rewritten, so a running `wrangler dev` does not reload for nothing.
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Must match DOCS_BUNDLE in src/routes/docs/index.ts and the run_worker_first exclusion in wrangler.toml. */
export const DOCS_BUNDLE = "docs/assets/api-reference.js";

export async function copyDocsBundle() {
	// The package exports no subpath for its browser bundle, so it is read from its install path.
	const source = path.join(root, "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js");
	const target = path.join(root, "public", DOCS_BUNDLE);
	const bytes = await readFile(source);
	const current = await stat(target).then((s) => s.size, () => -1);
	if (current === bytes.length && (await readFile(target)).equals(bytes)) return `${DOCS_BUNDLE} unchanged`;
	await mkdir(path.dirname(target), { recursive: true });
	await writeFile(`${target}.tmp`, bytes);
	await rename(`${target}.tmp`, target);
	return `${DOCS_BUNDLE} ${(bytes.length / 1024 / 1024).toFixed(1)} MiB`;
}
