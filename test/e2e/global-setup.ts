import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, createServer as createHttpServer } from "node:http";
import { freePort } from "./ports";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildDashboard } from "../../scripts/build-dashboard.mjs";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		devOutput: string;
		/** A file that receives everything npm run dev prints, as it prints it (devOutput is its start). */
		devLogPath: string;
		/** GET it for the emails the system sent through the email API (a stand-in for Resend). */
		mailboxUrl: string;
		/** A webhook receiver: POST <url>/<bucket> is recorded (raw body and headers), GET <url>/<bucket> lists them. */
		receiverUrl: string;
		/** The `--persist-to` directory of the running dev server (D1, and one SQLite file per Durable Object that woke). */
		stateDir: string;
	}
}

const bodyOf = (req: IncomingMessage) =>
	new Promise<string>((resolve) => {
		let body = "";
		req.on("data", (d) => (body += d));
		req.on("end", () => resolve(body));
	});

/**
 * An HTTP email API on loopback: POST /emails stores the request as sent,
 * GET /emails lists what was stored. The system reaches it through
 * EMAIL_API_URL exactly as it would reach Resend.
 */
async function startMailbox(): Promise<{ url: string; close: () => void }> {
	const received: { authorization?: string; body: unknown }[] = [];
	const server = createHttpServer(async (req, res) => {
		if (req.method === "POST") {
			received.push({ authorization: req.headers.authorization, body: JSON.parse(await bodyOf(req)) });
			res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ id: `email_${received.length}` }));
		} else {
			res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(received));
		}
	});
	const port = await freePort();
	await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
	return { url: `http://127.0.0.1:${port}/emails`, close: () => server.close() };
}

type Received = { at: number; headers: Record<string, string | string[] | undefined>; body: string };

/** An HTTP receiver on loopback for webhook deliveries, keeping each request exactly as it arrived. */
async function startReceiver(): Promise<{ url: string; close: () => void }> {
	const buckets = new Map<string, Received[]>();
	const server = createHttpServer(async (req, res) => {
		const bucket = req.url ?? "/";
		if (req.method === "POST") {
			const list = buckets.get(bucket) ?? [];
			list.push({ at: Date.now(), headers: req.headers, body: await bodyOf(req) });
			buckets.set(bucket, list);
			res.writeHead(200).end("ok");
		} else {
			res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(buckets.get(bucket) ?? []));
		}
	});
	const port = await freePort();
	await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
	return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Starts `npm run dev`'s script on free ports with a fresh state directory. */
export default async function setup(project: TestProject) {
	// The dashboard's bundle is the Worker's static assets (npm test builds it too; this covers `npx vitest`).
	await buildDashboard();
	const mailbox = await startMailbox();
	const receiver = await startReceiver();
	const [port, inspector] = [await freePort(), await freePort()];
	const state = mkdtempSync(join(tmpdir(), "pulsestream-e2e-"));
	let output = "";
	const logPath = join(state, "dev-output.log");
	writeFileSync(logPath, "");
	const child: ChildProcess = spawn(
		process.execPath,
		[
			"scripts/dev.mjs",
			...["--port", String(port), "--inspector-port", String(inspector), "--ip", "127.0.0.1", "--persist-to", state, "--test-scheduled"],
			...["--var", `EMAIL_API_URL:${mailbox.url}`, "--var", "EMAIL_API_KEY:e2e-email-key"],
		],
		{ env: { ...process.env, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
	);
	const record = (d: Buffer) => {
		output += d;
		appendFileSync(logPath, d);
	};
	child.stdout!.on("data", record);
	child.stderr!.on("data", record);
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
	project.provide("devLogPath", logPath);
	project.provide("mailboxUrl", mailbox.url);
	project.provide("receiverUrl", receiver.url);
	project.provide("stateDir", state);
	return () => {
		// The script spawns wrangler, which spawns workerd: end the whole group.
		child.stdout!.off("data", record);
		child.stderr!.off("data", record);
		try {
			process.kill(-child.pid!, "SIGTERM");
		} catch {}
		// Kept for a look after a failed run (test/artifacts is not committed).
		mkdirSync(ARTIFACTS, { recursive: true });
		writeFileSync(join(ARTIFACTS, "dev-output.log"), output);
		const reloads = output.split("\n").filter((line) => /reload|restart/i.test(line));
		if (reloads.length > 0) console.warn(`npm run dev reloaded during the run:\n${reloads.join("\n")}`);
		rmSync(state, { recursive: true, force: true });
		mailbox.close();
		receiver.close();
	};
}
