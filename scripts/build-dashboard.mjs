#!/usr/bin/env node
// `npm run build:dashboard [-- --watch]`: bundles the web dashboard
// (dashboard/src/main.ts with its CSS and uPlot) with esbuild into
// public/dashboard/, the Worker's static assets:
//
//   public/dashboard/index.html               the page, naming the files below
//   public/dashboard/assets/main-<hash>.js    content-hashed, cached for a year
//   public/dashboard/assets/main-<hash>.css
//   public/dashboard/assets/favicon-<hash>.svg
//
// It also copies the API reference's bundle (scripts/copy-docs-bundle.mjs).
// It runs before `npm run dev` and `npm test` (predev, pretest) and from the
// vitest configs, so it is quick (esbuild, ~100 ms) and idempotent: files
// whose bytes did not change are not rewritten, the page is replaced in one
// rename, and stale bundle files are removed only after the new page names
// the new ones, so a running `wrangler dev` never serves a half-built page.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { copyDocsBundle } from "./copy-docs-bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "dashboard");
const out = path.join(root, "public", "dashboard");
const assets = path.join(out, "assets");

/** esbuild options shared by a one-off build and watch mode. */
function options() {
	return {
		entryPoints: [path.join(source, "src", "main.ts")],
		bundle: true,
		format: "esm",
		platform: "browser",
		target: ["es2022", "chrome110", "firefox115", "safari16"],
		minify: true,
		sourcemap: "linked",
		legalComments: "linked",
		entryNames: "[name]-[hash]",
		assetNames: "[name]-[hash]",
		outdir: assets,
		metafile: true,
		write: false,
		logLevel: "warning",
		tsconfig: path.join(source, "tsconfig.json"),
	};
}

async function same(file, bytes) {
	try {
		return Buffer.compare(await readFile(file), bytes) === 0;
	} catch {
		return false;
	}
}

/** Writes a build's files, then the page naming them, then removes what no longer belongs. */
async function emit(result) {
	await mkdir(assets, { recursive: true });
	const written = new Set();
	for (const file of result.outputFiles) {
		written.add(path.basename(file.path));
		if (!(await same(file.path, file.contents))) await writeFile(file.path, file.contents);
	}
	const [js, meta] = Object.entries(result.metafile.outputs).find(([name, o]) => o.entryPoint && name.endsWith(".js")) ?? [];
	if (!js || !meta?.cssBundle) throw new Error("the dashboard build made no JavaScript or CSS bundle");
	const url = (file) => `/dashboard/assets/${path.basename(file)}`;
	// The icon is content-addressed too, so every file under assets/ may be cached for good.
	const icon = await readFile(path.join(source, "favicon.svg"));
	const iconName = `favicon-${createHash("sha256").update(icon).digest("hex").slice(0, 8)}.svg`;
	written.add(iconName);
	if (!(await same(path.join(assets, iconName), icon))) await writeFile(path.join(assets, iconName), icon);
	const template = await readFile(path.join(source, "index.html"), "utf8");
	const page = template
		.replaceAll("%MAIN_JS%", url(js))
		.replaceAll("%MAIN_CSS%", url(meta.cssBundle))
		.replaceAll("%FAVICON%", url(iconName));
	const target = path.join(out, "index.html");
	if (!(await same(target, Buffer.from(page)))) {
		await writeFile(`${target}.tmp`, page);
		await rename(`${target}.tmp`, target);
	}
	for (const name of await readdir(assets)) {
		if (!written.has(name)) await rm(path.join(assets, name), { force: true });
	}
	const bytes = result.outputFiles.filter((f) => !f.path.endsWith(".map") && !f.path.endsWith(".txt"));
	return bytes.map((f) => `${path.basename(f.path)} ${(f.contents.length / 1024).toFixed(1)} KiB`).join(", ");
}

/** One build of the dashboard into public/dashboard/ (and the API reference's bundle into public/docs/); returns a one-line summary. */
export async function buildDashboard() {
	const [dashboard, docs] = await Promise.all([esbuild.build(options()).then(emit), copyDocsBundle()]);
	return `${dashboard}; ${docs}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const started = Date.now();
	if (process.argv.includes("--watch")) {
		const ctx = await esbuild.context({
			...options(),
			plugins: [
				{
					name: "emit",
					setup(build) {
						build.onEnd(async (result) => {
							if (result.errors.length) return;
							console.log(`dashboard rebuilt: ${await emit(result)}`);
						});
					},
				},
			],
		});
		await ctx.watch();
		console.log(await copyDocsBundle());
		console.log("watching dashboard/ (wrangler dev picks up public/ changes)");
	} else {
		const summary = await buildDashboard();
		console.log(`dashboard built in ${Date.now() - started} ms: ${summary}`);
	}
}
