import type { AttemptResult } from "../alerting/types";
import { unsafeUrlReason } from "../lib/url-guard";

/** The whole attempt (connect, headers, body read) must finish within this. */
export const POST_TIMEOUT_MS = 10_000;
/** We read at most this much of a receiver's answer; the rest is cancelled unread. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** How much of a failed answer's body goes into `last_error`. */
const ERROR_BODY_CHARS = 200;

export type PostOptions = {
	/** Overrides POST_TIMEOUT_MS (tests use a short one so a hang test finishes fast). */
	timeoutMs?: number;
	/** Overrides MAX_RESPONSE_BYTES. */
	maxBytes?: number;
};

/**
 * POSTs to a tenant-chosen URL with every bound a queue consumer needs
 * against a slow, hostile or misconfigured receiver, and turns the outcome
 * into an AttemptResult (never throws):
 *
 * - the URL is re-checked with `unsafeUrlReason` first (a channel may predate
 *   a tightened rule, or the environment changed): refused → permanent, and
 *   no request is made;
 * - one timeout covers connect, headers and body read;
 * - redirects are not followed (`redirect: "manual"`), since following one
 *   would let a public URL bounce us to a host the guard refuses: a 3xx is a
 *   permanent failure;
 * - at most `maxBytes` of the answer are read, the rest is cancelled;
 * - any 2xx is delivered; 408, 429, 5xx, network errors and timeouts are
 *   retryable; any other status is permanent.
 *
 * Error texts never contain the URL: Slack and PagerDuty URLs and keys are
 * secrets, and `last_error` is shown to every viewer of the tenant.
 */
export async function postBounded(
	url: string,
	init: { headers: Record<string, string>; body: string | Uint8Array },
	env: Pick<Env, "ENVIRONMENT">,
	options: PostOptions = {},
): Promise<AttemptResult> {
	const refused = unsafeUrlReason(url, env);
	if (refused) return { ok: false, error: `refused: the URL ${refused}`, permanent: true };
	const timeoutMs = options.timeoutMs ?? POST_TIMEOUT_MS;
	const signal = AbortSignal.timeout(timeoutMs);
	let res: Response;
	try {
		res = await fetch(url, { method: "POST", headers: init.headers, body: init.body, redirect: "manual", signal });
	} catch (err) {
		if (signal.aborted) return { ok: false, error: `timeout after ${timeoutMs} ms` };
		return { ok: false, error: `network error: ${err instanceof Error ? err.message : String(err)}` };
	}
	// The verdict is the status; the body is read (bounded) only to explain a
	// failure and to release the connection. A 2xx whose body then stalls or
	// breaks is still delivered: the receiver has accepted it, and sending it
	// again would duplicate it.
	const text = await readBounded(res, options.maxBytes ?? MAX_RESPONSE_BYTES, signal);
	return verdict(res, text);
}

function verdict(res: Response, text: string): AttemptResult {
	const status = res.status;
	if (status >= 200 && status < 300) return { ok: true };
	if (status >= 300 && status < 400) {
		const location = res.headers.get("Location");
		const where = location ? ` (to ${location.slice(0, ERROR_BODY_CHARS)})` : "";
		return { ok: false, error: `HTTP ${status}: redirects are not followed${where}`, permanent: true };
	}
	const excerpt = text.trim().slice(0, ERROR_BODY_CHARS);
	const error = excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}`;
	const retryable = status >= 500 || status === 408 || status === 429;
	return retryable ? { ok: false, error } : { ok: false, error, permanent: true };
}

/**
 * Reads at most `maxBytes` of a response body as text and cancels the rest
 * (exported for tests). Never throws. Each
 * read races the attempt's abort signal, because a receiver that sends
 * headers and then trickles (or never ends) the body must not hold the
 * consumer past its timeout.
 */
export async function readBounded(res: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
	if (!res.body) return "";
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<"aborted">((resolve) => {
		onAbort = () => resolve("aborted");
		if (signal.aborted) resolve("aborted");
		else signal.addEventListener("abort", onAbort, { once: true });
	});
	try {
		while (size < maxBytes) {
			const next = await Promise.race([reader.read(), aborted]);
			if (next === "aborted" || next.done) break;
			const chunk = next.value;
			const room = maxBytes - size;
			chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
			size += Math.min(chunk.byteLength, room);
		}
	} catch {
		// A body that breaks midway: keep what arrived.
	} finally {
		if (onAbort) signal.removeEventListener("abort", onAbort);
		// Cancelling (rather than draining) is what bounds a huge body; it
		// also settles a read still pending after a timeout.
		reader.cancel().catch(() => {});
	}
	const all = new Uint8Array(size);
	let at = 0;
	for (const c of chunks) {
		all.set(c, at);
		at += c.byteLength;
	}
	return new TextDecoder().decode(all);
}
