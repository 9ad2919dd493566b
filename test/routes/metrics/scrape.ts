import { type Registered, call } from "../../helpers";
import { type Exposition, parseExposition } from "./parse-exposition";

/** The credential a Prometheus scrape config's `authorization` block sends. */
export const bearerKey = (t: Registered) => ({ Authorization: `Bearer ${t.api_key.key}` });

/** GET /api/v1/metrics as Prometheus would; throws unless it is a 200 in the exposition format. */
export async function scrape(t: Registered, headers: Record<string, string> = bearerKey(t)): Promise<Exposition & { text: string }> {
	const res = await call("/api/v1/metrics", { headers });
	const text = await res.text();
	if (res.status !== 200) throw new Error(`scrape: ${res.status} ${text}`);
	if (res.headers.get("content-type") !== "text/plain; version=0.0.4; charset=utf-8") {
		throw new Error(`scrape: content type ${res.headers.get("content-type")}`);
	}
	return { ...parseExposition(text), text };
}

/** The sum of every sample of `name` (optionally those whose labels include `match`). */
export const total = (e: Exposition, name: string, match: Record<string, string> = {}) =>
	e.all(name, match).reduce((n, s) => n + s.value, 0);

export const BOUNDS = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"];

/** One endpoint's histogram buckets in bound order (every bound must be there). */
export function buckets(e: Exposition, endpoint: string): number[] {
	return BOUNDS.map((le) => {
		const v = e.get("pulsestream_api_call_duration_seconds_bucket", { endpoint, le });
		if (v === undefined) throw new Error(`no bucket le=${le} for ${JSON.stringify(endpoint)}`);
		return v;
	});
}
