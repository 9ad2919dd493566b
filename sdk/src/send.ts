import { type Item, bodyOf } from "./batcher.js";
import { backoffMs, honouredMs, serverWaitMs, sleep } from "./retry.js";
import { type FieldError, PulseStreamError } from "./types.js";

export interface SendConfig {
	url: string;
	apiKey: string;
	maxRetryMs: number;
	fetch: () => typeof fetch;
	report: (error: PulseStreamError) => void;
}

/** What one attempt left to do: the items to try again (none when finished) and the wait asked for. */
interface Outcome {
	retry: Item[];
	serverWaitMs?: number;
	status?: number;
	code?: string;
	why?: string;
	cause?: unknown;
}

// A request that hangs must not hold the batch forever: it counts as a network error (and is retried).
const REQUEST_TIMEOUT_MS = 10_000;

type BatchResult = { index?: unknown; event_id?: unknown; status?: unknown; errors?: unknown };

const errorCode = (body: unknown): string | undefined => {
	const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
	return typeof code === "string" ? code : undefined;
};

const parse = (text: string): unknown => {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
};

/** Reads a 200 batch answer: rejected items are reported, rate-limited ones (and any left unanswered) retried. */
function settle(items: Item[], body: unknown, res: Response, config: SendConfig): Outcome {
	const results = (body as { results?: unknown } | null)?.results;
	if (!Array.isArray(results)) {
		// A 200 whose body did not arrive whole: sending again is safe (event_ids dedupe).
		return { retry: items, status: res.status, why: "the answer to a batch could not be read" };
	}
	const answered = new Set<number>();
	const retry: Item[] = [];
	const rejected: Item[] = [];
	const details: { event_id: string; errors: FieldError[] }[] = [];
	for (const r of results as BatchResult[]) {
		const item = typeof r?.index === "number" ? items[r.index] : undefined;
		if (!item || answered.has(r.index as number)) continue;
		answered.add(r.index as number);
		if (r.status === "rate_limited") retry.push(item);
		else if (r.status === "rejected") {
			rejected.push(item);
			details.push({ event_id: String(item.event.event_id), errors: Array.isArray(r.errors) ? (r.errors as FieldError[]) : [] });
		}
	}
	items.forEach((item, i) => answered.has(i) || retry.push(item));
	if (rejected.length > 0) {
		config.report(
			new PulseStreamError({
				reason: "rejected",
				message: `PulseStream rejected ${rejected.length} event(s) as invalid: ${details[0]?.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
				events: rejected.map((i) => i.event),
				details,
				status: res.status,
			}),
		);
	}
	const wait = retry.length > 0 ? serverWaitMs(res.headers, Date.now(), true) : undefined;
	return { retry, status: res.status, code: "RATE_LIMITED", why: "events were rate limited", ...(wait === undefined ? {} : { serverWaitMs: wait }) };
}

async function attempt(items: Item[], config: SendConfig): Promise<Outcome> {
	let res: Response;
	let text: string;
	try {
		const signal = typeof AbortSignal?.timeout === "function" ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined;
		res = await config.fetch()(config.url, {
			method: "POST",
			headers: { "Content-Type": "application/json", "X-API-Key": config.apiKey },
			body: bodyOf(items),
			...(signal ? { signal } : {}),
		});
		// Read the whole answer: an unread body holds the connection (Node), and a 200 cut short is retried.
		text = await res.text();
	} catch (cause) {
		return { retry: items, why: "the request failed (network)", cause };
	}
	const body = parse(text);
	if (res.status === 200) return settle(items, body, res, config);
	if (res.ok) return { retry: [] }; // another 2xx: the server took the batch
	const code = errorCode(body);
	if (res.status === 429 || res.status >= 500) {
		const wait = serverWaitMs(res.headers, Date.now(), res.status === 429);
		return { retry: items, status: res.status, ...(code ? { code } : {}), why: `the server answered ${res.status}`, ...(wait === undefined ? {} : { serverWaitMs: wait }) };
	}
	// 400, 401, 403, 413, 422...: the same request would get the same answer.
	const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
	config.report(
		new PulseStreamError({
			reason: "refused",
			message: `PulseStream refused a batch of ${items.length} event(s) with ${res.status}${code ? ` ${code}` : ""}${typeof message === "string" ? `: ${message}` : ""}`,
			events: items.map((i) => i.event),
			status: res.status,
			...(code ? { code } : {}),
		}),
	);
	return { retry: [] };
}

/**
 * Sends one batch until every event in it is decided, retrying what may
 * succeed later (429, 5xx, network errors, rate-limited items) with backoff
 * within maxRetryMs of the first attempt. Never throws: whatever is given up
 * on goes to config.report.
 */
export async function deliver(items: Item[], config: SendConfig): Promise<void> {
	const deadline = Date.now() + config.maxRetryMs;
	let pending = items;
	for (let n = 0; pending.length > 0; n++) {
		const outcome = await attempt(pending, config);
		if (outcome.retry.length === 0) return;
		const wait = outcome.serverWaitMs === undefined ? backoffMs(n) : honouredMs(outcome.serverWaitMs);
		// Give up now rather than sleep into a retry the budget does not allow.
		if (Date.now() + wait > deadline || !(await sleep(wait))) {
			config.report(
				new PulseStreamError({
					reason: "retries_exhausted",
					message: `PulseStream dropped ${outcome.retry.length} event(s) after ${n + 1} attempt(s): ${outcome.why ?? "retries failed"}`,
					events: outcome.retry.map((i) => i.event),
					...(outcome.status === undefined ? {} : { status: outcome.status }),
					...(outcome.code ? { code: outcome.code } : {}),
					...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
				}),
			);
			return;
		}
		pending = outcome.retry;
	}
}
