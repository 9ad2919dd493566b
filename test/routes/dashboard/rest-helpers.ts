import { type Registered, bearer, call, keyHeader } from "../../helpers";

export type Json = Record<string, unknown>;

/** GET a dashboard route with the tenant's API key (or a user token); status and parsed body. */
export async function dash(t: Registered | null, path: string, as: "key" | "user" = "key"): Promise<{ status: number; body: Json }> {
	const headers = t === null ? {} : as === "key" ? keyHeader(t) : bearer(t.access_token);
	const res = await call(`/api/v1/dashboard${path}`, { headers });
	return { status: res.status, body: (await res.json()) as Json };
}

/** The exact q-quantile as the sketch defines it: the value at rank floor(q * (n - 1)) of the sorted values. */
export function exactQuantile(values: number[], q: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** `estimate` within the sketch's 1% relative error of `exact`. */
export function within1(estimate: unknown, exact: number): boolean {
	return typeof estimate === "number" && Math.abs(estimate - exact) <= exact * 0.01 + 1e-9;
}

export const detailPaths = (body: Json) =>
	((body.error as { details?: { path: string }[] } | undefined)?.details ?? []).map((d) => d.path);
