import { spawn } from "node:child_process";
import { freePort } from "./ports";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";

// `npm run demo` (scripts/demo.mjs) against the system as `npm run dev` serves it.
const base = inject("baseUrl");
const mailbox = inject("mailboxUrl");
const script = fileURLToPath(new URL("../../scripts/demo.mjs", import.meta.url));

const slug = `e2e-demo-${Date.now().toString(36)}`;
const email = "demo@pulsestream.dev";
const password = "pulsestream-demo";

type Run = { code: number | null; signal: NodeJS.Signals | null; output: string };

/** Runs the demo as a child process (not a TTY: a progress line every 5 s); `interruptAfterMs` sends it Ctrl-C's SIGINT. */
function demo(args: string[], { interruptAfterMs, timeoutMs = 55_000 }: { interruptAfterMs?: number; timeoutMs?: number } = {}): Promise<Run> {
	return new Promise((resolve, reject) => {
		const env = { ...process.env };
		delete env.PULSESTREAM_URL;
		const child = spawn(process.execPath, [script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stdout.on("data", (d) => (output += d));
		child.stderr.on("data", (d) => (output += d));
		const kill = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`the demo did not end in ${timeoutMs} ms:\n${output}`));
		}, timeoutMs);
		let interrupt: NodeJS.Timeout | undefined;
		if (interruptAfterMs !== undefined) {
			// Ctrl-C once traffic flows (the first progress line is printed after the first batch).
			const started = Date.now();
			interrupt = setInterval(() => {
				if (/sent [1-9]/.test(output) && Date.now() - started >= interruptAfterMs) {
					clearInterval(interrupt);
					child.kill("SIGINT");
				}
			}, 100);
		}
		child.on("error", reject);
		child.on("exit", (code, signal) => {
			clearTimeout(kill);
			if (interrupt) clearInterval(interrupt);
			resolve({ code, signal, output });
		});
	});
}

async function call(method: string, path: string, token?: string, body?: unknown) {
	const res = await fetch(`${base}/api/v1${path}`, {
		method,
		headers: {
			...(body !== undefined ? { "Content-Type": "application/json" } : {}),
			...(token ? { Authorization: `Bearer ${token}` } : {}),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
}

async function signIn(): Promise<string> {
	const res = await call("POST", "/auth/login", undefined, { tenant: slug, email, password });
	expect(res.status).toBe(200);
	return res.body.access_token as string;
}

type Sent = { body: { to: string[]; subject: string; text: string } };

describe("npm run demo, end to end", () => {
	it("signs up the demo tenant, prints how to sign in, sends traffic, and its checkout burst fires the demo alert", { timeout: 60_000 }, async () => {
		const started = Date.now();
		const run = await demo(["--url", base, "--slug", slug, "--duration", "25", "--incident-at", "3", "--incident-duration", "15"]);
		expect(run.code, run.output).toBe(0);

		// The sign-in details, up front.
		const header = run.output.slice(0, run.output.indexOf("[0:00]"));
		expect(header).toContain(`${base}/dashboard`);
		expect(header).toContain(slug);
		expect(header).toContain(email);
		expect(header).toContain(password);
		expect(header).toContain('created tenant');
		// The story and its outcome.
		expect(run.output).toMatch(/incident: checkout 5xx burst/);
		expect(run.output).toMatch(/ALERT FIRED at \d+:\d\d: "Checkout 5xx error rate" \(critical\)/);
		expect(run.output).toMatch(/Demo finished after 0:2\d/);
		const accepted = Number(/accepted ([\d,]+)/.exec(run.output.slice(run.output.indexOf("Demo finished")))![1]!.replaceAll(",", ""));
		expect(accepted).toBeGreaterThan(25 * 50 * 0.6);

		// What the server holds, seen as the demo user would after signing in to the dashboard.
		const token = await signIn();
		const stats = await call("GET", "/ingestion/stats", token);
		expect(stats.status).toBe(200);
		expect(stats.body.total_events).toBe(accepted);
		expect(stats.body.rejected).toBe(0);
		expect(Object.keys(stats.body.by_type).sort()).toEqual(expect.arrayContaining(["api_call", "error", "user_action"]));
		const burst = await call("GET", "/ingestion/events/search?source=checkout&status_class=5xx&limit=100", token);
		expect(burst.body.events.length).toBeGreaterThan(20);
		expect(burst.body.events[0]).toMatchObject({ event_type: "api_call", source: "checkout", event_id: expect.stringMatching(/^demo-/) });

		const rules = await call("GET", "/alerting/rules", token);
		const rule = rules.body.rules.find((r: { name: string }) => r.name === "Checkout 5xx error rate");
		expect(rule).toMatchObject({
			severity: "critical",
			enabled: true,
			auto_resolve: true,
			condition: { metric: "error_rate", operator: "gt", threshold: 0.2, window_seconds: 60, filter: { source: "checkout" } },
		});
		const alerts = await call("GET", `/alerting/alerts?rule_id=${rule.id}`, token);
		expect(alerts.body.alerts).toHaveLength(1);
		const alert = alerts.body.alerts[0];
		expect(alert).toMatchObject({ rule_name: "Checkout 5xx error rate", severity: "critical", metric: "error_rate" });
		// It fired during the burst (3 s to 18 s into the run), a few seconds after it began.
		const firedAfter = (Date.parse(alert.triggered_at) - started) / 1000;
		expect(firedAfter).toBeGreaterThan(3);
		expect(firedAfter).toBeLessThan(22);

		// The rule's email channel told the demo owner (through the e2e email API).
		let sent: Sent | undefined;
		for (let i = 0; i < 100 && !sent; i++) {
			const all = (await (await fetch(mailbox)).json()) as Sent[];
			sent = all.find((m) => m.body.to.includes(email) && m.body.subject.includes("Checkout 5xx error rate"));
			if (!sent) await new Promise((r) => setTimeout(r, 100));
		}
		expect(sent, "the alert email reached the email API").toBeDefined();
	});

	it("a second run signs in to the existing tenant; Ctrl-C stops it with a summary; each run's key revokes the last run's", { timeout: 30_000 }, async () => {
		const second = await demo(["--url", base, "--slug", slug, "--duration", "0", "--incident-at", "-1"], { interruptAfterMs: 1_500 });
		expect(second.code, second.output).toBe(0);
		expect(second.output).toContain(`signed in to tenant "${slug}"`);
		expect(second.output).toContain(password);
		expect(second.output).toMatch(/Demo stopped after 0:0\d/);
		// The alert the first run left open is waited for, not swallowed or resolved by hand.
		expect(second.output).toContain("An alert from an earlier run");

		const third = await demo(["--url", base, "--slug", slug, "--duration", "2", "--incident-at", "-1", "--quiet"]);
		expect(third.code, third.output).toBe(0);
		expect(third.output).toMatch(/revoked 1 earlier demo key/);
		expect(third.output).not.toMatch(/│/); // --quiet: no progress line

		const token = await signIn();
		const keys = (await call("GET", "/api-keys", token)).body.api_keys as { name: string; revoked_at: string | null }[];
		const demoKeys = keys.filter((k) => k.name === "demo");
		expect(demoKeys).toHaveLength(2);
		expect(demoKeys.filter((k) => k.revoked_at === null)).toHaveLength(1);
		// The rule was found, not made again.
		const rules = (await call("GET", "/alerting/rules", token)).body.rules as { name: string }[];
		expect(rules.filter((r) => r.name === "Checkout 5xx error rate")).toHaveLength(1);
	});

	it("says how to start the server when nothing answers, and exits 1", async () => {
		const port = await freePort();
		const run = await demo(["--url", `http://127.0.0.1:${port}`, "--duration", "5"], { timeoutMs: 15_000 });
		expect(run.code).toBe(1);
		expect(run.output).toContain(`PulseStream is not reachable at http://127.0.0.1:${port}`);
		expect(run.output).toContain("npm run dev");
	});

	it("a changed demo password: says what to do instead, and exits 1", async () => {
		const run = await demo(["--url", base, "--slug", slug, "--password", "not-the-demo-password"], { timeoutMs: 15_000 });
		expect(run.code).toBe(1);
		expect(run.output).toContain(`The tenant "${slug}" already exists`);
		expect(run.output).toContain("--slug another-demo");
	});
});
