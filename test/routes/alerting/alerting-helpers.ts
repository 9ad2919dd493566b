import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { type Registered, send } from "../../helpers";

export const A = "/api/v1/alerting";

export type Json = Record<string, unknown>;

/** A request as the tenant's owner, answering status and parsed body. */
export async function as(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; res: Response }> {
	const res = await send(method, `${A}${path}`, token, body);
	const text = await res.text();
	return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, res };
}

/** Creates a resource and expects 201; returns its body. */
export async function created(t: Registered, path: string, body: unknown): Promise<Json & { id: string }> {
	const r = await as(t.access_token, "POST", path, body);
	expect(r.status, JSON.stringify(r.body)).toBe(201);
	return r.body as Json & { id: string };
}

export const webhookBody = (extra: Json = {}) => ({
	name: "Ops webhook",
	type: "webhook",
	config: { url: "https://hooks.example.com/pulse" },
	...extra,
});

export const ruleBody = (extra: Json = {}) => ({
	name: "Too many errors",
	severity: "critical",
	condition: { metric: "error_count", operator: "gt", threshold: 10, window_seconds: 300 },
	...extra,
});

export const webhook = (t: Registered, extra: Json = {}) => created(t, "/channels", webhookBody(extra));
export const rule = (t: Registered, extra: Json = {}) => created(t, "/rules", ruleBody(extra));

/** The details paths of a 422 (or any error envelope). */
export function paths(body: Json): string[] {
	const err = body.error as { details?: { path: string }[] } | undefined;
	return (err?.details ?? []).map((d) => d.path);
}

export const codeOf = (body: Json) => (body.error as { code: string } | undefined)?.code;

export async function alertingVersion(tenantId: string): Promise<number> {
	const row = await env.DB.prepare("SELECT alerting_version AS v FROM tenants WHERE id = ?").bind(tenantId).first<{ v: number }>();
	return row!.v;
}

/** Lets the clock move on, so rows created one after another have distinct created_at (lists sort on it). */
export const tick = () => new Promise((r) => setTimeout(r, 3));
