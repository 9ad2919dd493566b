import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		devOutput: string;
	}
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** Starts `npm run dev`'s script on free ports with a fresh state directory. */
export default async function setup(project: TestProject) {
	const [port, inspector] = [await freePort(), await freePort()];
	const state = mkdtempSync(join(tmpdir(), "pulsestream-e2e-"));
	let output = "";
	const child: ChildProcess = spawn(
		process.execPath,
		["scripts/dev.mjs", "--port", String(port), "--inspector-port", String(inspector), "--ip", "127.0.0.1", "--persist-to", state],
		{ env: { ...process.env, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
	);
	child.stdout!.on("data", (d) => (output += d));
	child.stderr!.on("data", (d) => (output += d));
	const baseUrl = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 90_000;
	for (;;) {
		try {
			if ((await fetch(`${baseUrl}/health`)).ok) break;
		} catch {}
		if (child.exitCode !== null || Date.now() > deadline) {
			throw new Error(`npm run dev did not come up on ${baseUrl}:\n${output}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	project.provide("baseUrl", baseUrl);
	project.provide("devOutput", output);
	return () => {
		// The script spawns wrangler, which spawns workerd: end the whole group.
		try {
			process.kill(-child.pid!, "SIGTERM");
		} catch {}
		rmSync(state, { recursive: true, force: true });
	};
}
