import { inject } from "vitest";

/**
 * Under `npm run dev` (wrangler dev 4.86) the Worker sees CF-Connecting-IP as
 * the TCP peer, 127.0.0.1 for every local client, unless the request carries
 * its own CF-Connecting-IP, which passes through unchanged (checked in
 * anonymous-limits.test.ts; in production Cloudflare's edge sets it and a
 * client's value never arrives). So the e2e suite plays the edge: every
 * request a test sends to the server without a CF-Connecting-IP gets a fresh
 * address, as if each came from its own machine, and the anonymous limits
 * (10 registrations an hour, 30 sign-ins a minute per address) keep their
 * contract numbers under `npm run dev` without the suite tripping them.
 * Requests the browser (Playwright) or a spawned `npm run demo` make are
 * not touched: those come from 127.0.0.1, as a developer's would.
 */

/** Node's own fetch, for a request that must reach the server without an address. */
export const realFetch = globalThis.fetch;

let seq = Math.floor(Math.random() * 2 ** 23);

/** An address no other request of this run has used (10.0.0.0/8 from a random start). */
export function freshClient(): string {
	const n = seq++ % 2 ** 24;
	return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
}

const base = inject("baseUrl");
const urlOf = (input: Parameters<typeof fetch>[0]) =>
	typeof input === "string" ? input : input instanceof URL ? input.href : input.url;

const RESTARTED = "Your worker restarted mid-request.";

/**
 * wrangler dev's proxy answers 503 with this text to a POST that was in
 * flight while it swapped in a reloaded Worker (it retries GETs itself and
 * asks the client to resend the rest). CI saw it once, cause unknown (the
 * teardown in global-setup.ts prints any reload wrangler reported): the
 * request is sent again, as the message asks, and the retry is reported on
 * stderr so it never goes unnoticed. A streamed body cannot be sent twice.
 */
async function sendOnce(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Promise<Response> {
	const res = await realFetch(input, init);
	if (res.status !== 503 || init?.body instanceof ReadableStream || input instanceof Request) return res;
	const text = await res.clone().text();
	if (!text.startsWith(RESTARTED)) return res;
	console.error(`e2e: npm run dev restarted the Worker during ${init?.method ?? "GET"} ${urlOf(input)}; sent again`);
	await new Promise((r) => setTimeout(r, 500));
	return realFetch(input, init);
}

globalThis.fetch = ((input, init) => {
	if (!urlOf(input).startsWith(base)) return realFetch(input, init);
	const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
	if (headers.has("cf-connecting-ip")) return sendOnce(input, init);
	headers.set("CF-Connecting-IP", freshClient());
	return sendOnce(input, { ...init, headers });
}) as typeof fetch;
