import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { BASE, bearer, registerTenant } from "../../helpers";
import { A, alertingVersion, ruleBody, webhookBody } from "./alerting-helpers";

/**
 * The same app, with a TENANT binding whose objects refuse the alerting
 * hand-over (as when an object is overloaded or being deployed): a config
 * change must still be saved, versioned and answered, for the object to
 * catch up from D1 later.
 */
function appWithFailingHandOver() {
	let refused = 0;
	const TENANT = new Proxy(env.TENANT, {
		get(target, prop, receiver) {
			if (prop !== "getByName") return Reflect.get(target, prop, receiver);
			return (name: string) => {
				const stub = target.getByName(name);
				return new Proxy(stub, {
					get(s, p) {
						if (p === "configureAlerting") {
							return async () => {
								refused++;
								throw new Error("object unavailable");
							};
						}
						const v = Reflect.get(s, p);
						return typeof v === "function" ? v.bind(s) : v;
					},
				});
			};
		},
	});
	const app = createApp();
	const fetch = (path: string, token: string, method: string, body?: unknown) =>
		app.fetch(
			new Request(`${BASE}${A}${path}`, {
				method,
				headers: { ...bearer(token), ...(body ? { "Content-Type": "application/json" } : {}) },
				body: body ? JSON.stringify(body) : undefined,
			}),
			{ ...env, TENANT },
			{ waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
		);
	return { fetch, refused: () => refused };
}

describe("alerting hand-over", () => {
	it("a config change is saved and answered even when the tenant's object cannot take it", async () => {
		const t = await registerTenant();
		const { fetch, refused } = appWithFailingHandOver();
		const before = await alertingVersion(t.tenant.id);
		const ch = await fetch("/channels", t.access_token, "POST", webhookBody());
		expect(ch.status).toBe(201);
		const r = await fetch("/rules", t.access_token, "POST", ruleBody({ channel_ids: [((await ch.json()) as { id: string }).id] }));
		expect(r.status).toBe(201);
		const { id } = (await r.json()) as { id: string };
		expect((await fetch(`/rules/${id}`, t.access_token, "PATCH", { enabled: false })).status).toBe(200);
		expect((await fetch(`/rules/${id}`, t.access_token, "DELETE")).status).toBe(204);
		// Each change was offered to the object (and retried once), and each bumped the version it will compare.
		expect(refused()).toBeGreaterThanOrEqual(4);
		expect(await alertingVersion(t.tenant.id)).toBe(before + 4);
		const row = await env.DB.prepare("SELECT count(*) AS n FROM alert_channels WHERE tenant_id = ?").bind(t.tenant.id).first<{ n: number }>();
		expect(row!.n).toBe(1);
	});
});
