#!/usr/bin/env node
// `npm run lint:openapi` (and the first step of `npm test`): builds the OpenAPI
// document exactly as GET /openapi.json serves it, then
//   1. lints it with Redocly's `recommended` rules (redocly.yaml): any error fails;
//   2. checks the house rules and the error-level rules of Spectral's
//      `spectral:oas` set that Redocly does not cover (Spectral is not a
//      dependency): every operation has a unique camelCase operationId, a
//      summary and one tag from the top-level list; security is declared on
//      every operation ([] on public ones); arrays have items; defaults and
//      examples fit their schema's type and enum. A missing description is a
//      warning (as Spectral's operation-description is).
// The document comes from the app itself: src/app.ts is bundled with esbuild
// and asked for /openapi.json in Node (nothing of the document needs workerd),
// so the lint needs no running server. `--out <file>` keeps the document.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The origin the document describes in `servers` (any real one; Redocly warns on localhost). */
const ORIGIN = "https://pulsestream.example.net";

async function loadDocument(dir) {
	await esbuild.build({
		entryPoints: [path.join(root, "src", "app.ts"), path.join(root, "src", "openapi.ts")],
		bundle: true,
		format: "esm",
		platform: "neutral",
		mainFields: ["module", "main"],
		conditions: ["workerd", "worker", "import"],
		external: ["cloudflare:*"],
		outdir: dir,
		outExtension: { ".js": ".mjs" },
		logLevel: "error",
	});
	const { createApp } = await import(pathToFileURL(path.join(dir, "app.mjs")).href);
	const { PUBLIC_OPERATIONS } = await import(pathToFileURL(path.join(dir, "openapi.mjs")).href);
	publicOperations = new Set(PUBLIC_OPERATIONS);
	const res = await createApp().request(`${ORIGIN}/openapi.json`, {}, { ENVIRONMENT: "development", LOG_LEVEL: "warn" });
	if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${await res.text()}`);
	return res.json();
}

/** Routes anyone may call (src/openapi.ts); everything else must name its credential. */
let publicOperations = new Set();

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function typeFits(type, value) {
	const types = Array.isArray(type) ? type : [type];
	return types.some((t) =>
		t === "null" ? value === null
		: t === "integer" ? Number.isInteger(value)
		: t === "number" ? typeof value === "number"
		: t === "array" ? Array.isArray(value)
		: t === "object" ? typeof value === "object" && value !== null && !Array.isArray(value)
		: typeof value === t,
	);
}

/** The checks of the header comment; returns [errors, warnings] as `path: message` lines. */
export function houseRules(doc) {
	const errors = [];
	const warnings = [];
	const tags = new Set((doc.tags ?? []).map((t) => t.name));
	for (const t of doc.tags ?? []) if (!t.description) errors.push(`tags.${t.name}: a tag needs a description`);
	if (!doc.info?.description) errors.push("info.description: missing");
	if (!doc.info?.contact) errors.push("info.contact: missing");
	if (!doc.servers?.length) errors.push("servers: missing");
	const ids = new Map();
	for (const [p, item] of Object.entries(doc.paths ?? {})) {
		for (const method of METHODS) {
			const op = item[method];
			if (!op) continue;
			const where = `${method.toUpperCase()} ${p}`;
			if (!/^[a-z][a-z]+[A-Z][A-Za-z0-9]*$/.test(op.operationId ?? "")) errors.push(`${where}: operationId "${op.operationId ?? ""}" is not camelCase verbNoun`);
			else if (ids.has(op.operationId)) errors.push(`${where}: operationId ${op.operationId} also names ${ids.get(op.operationId)}`);
			else ids.set(op.operationId, where);
			if (!op.summary) errors.push(`${where}: no summary`);
			// A warning, as in Spectral: routes added elsewhere may not have written one yet.
			if (!op.description) warnings.push(`${where}: no description (Spectral operation-description)`);
			if (op.tags?.length !== 1 || !tags.has(op.tags[0])) errors.push(`${where}: tags ${JSON.stringify(op.tags)} must be one tag of the top-level list`);
			if (!Array.isArray(op.security)) errors.push(`${where}: no security declared`);
			else if (publicOperations.has(`${method} ${p}`) !== (op.security.length === 0)) {
				errors.push(`${where}: security ${JSON.stringify(op.security)}; public routes declare [], others their credential`);
			}
			const codes = Object.keys(op.responses ?? {});
			if (!codes.some((c) => /^[23]/.test(c))) warnings.push(`${where}: no 2xx or 3xx response (Spectral operation-success-response)`);
		}
	}
	const walk = (node, at) => {
		if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${at}.${i}`));
		if (!node || typeof node !== "object") return;
		const isArray = node.type === "array" || (Array.isArray(node.type) && node.type.includes("array"));
		if (isArray && !("items" in node) && !("prefixItems" in node)) errors.push(`${at}: type array without items (Spectral array-items)`);
		if (node.type && Array.isArray(node.enum)) {
			if (new Set(node.enum.map((v) => JSON.stringify(v))).size !== node.enum.length) warnings.push(`${at}: duplicated enum entry`);
			for (const v of node.enum) if (!typeFits(node.type, v)) errors.push(`${at}: enum value ${JSON.stringify(v)} is not of type ${node.type}`);
		}
		for (const key of ["default", "example"]) {
			if (!(key in node) || !node.type || key === "example" && node.properties) continue;
			const v = node[key];
			if (!typeFits(node.type, v)) errors.push(`${at}: ${key} ${JSON.stringify(v)} is not of type ${JSON.stringify(node.type)}`);
			else if (Array.isArray(node.enum) && !node.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errors.push(`${at}: ${key} ${JSON.stringify(v)} is not in its enum`);
		}
		for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
	};
	walk(doc.paths, "paths");
	walk(doc.components, "components");
	return [errors, warnings];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const dir = await mkdtemp(path.join(os.tmpdir(), "pulsestream-openapi-"));
	let failed = false;
	try {
		const doc = await loadDocument(dir);
		const file = path.join(dir, "openapi.json");
		await writeFile(file, JSON.stringify(doc, null, 2));
		const out = process.argv.indexOf("--out");
		if (out > 0 && process.argv[out + 1]) await writeFile(process.argv[out + 1], JSON.stringify(doc, null, 2));

		const redocly = spawnSync(
			path.join(root, "node_modules", ".bin", "redocly"),
			["lint", "--config", path.join(root, "redocly.yaml"), "--format", "stylish", file],
			{ stdio: "inherit", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
		);
		if (redocly.status !== 0) {
			console.error(`redocly lint failed (exit ${redocly.status ?? redocly.signal})`);
			failed = true;
		}

		const [errors, warnings] = houseRules(doc);
		for (const w of warnings) console.warn(`warning  ${w}`);
		for (const e of errors) console.error(`error    ${e}`);
		const ops = Object.values(doc.paths).reduce((n, item) => n + METHODS.filter((m) => item[m]).length, 0);
		console.log(`house and Spectral-level checks: ${ops} operations, ${errors.length} errors, ${warnings.length} warnings`);
		if (errors.length) failed = true;
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
	process.exit(failed ? 1 : 0);
}
