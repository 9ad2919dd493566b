import type { PulseStreamEvent } from "../src/index.js";

export type Call = { at: number; url: string; headers: Headers; body: { events: PulseStreamEvent[] }; bytes: number };
type Answer = Response | Error | ((call: Call) => Response | Error);

/**
 * A recorded fetch: every request is kept (time, URL, headers, parsed body)
 * and answered by the next queued answer, else by `fallback` (a batch answer
 * accepting everything). An Error answer is thrown, as fetch does on a network failure.
 */
export function fakeFetch(fallback: (call: Call) => Response = acceptAll) {
	const calls: Call[] = [];
	const answers: Answer[] = [];
	const fn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const text = String(init?.body ?? "");
		const call: Call = {
			at: Date.now(),
			url: String(input),
			headers: new Headers(init?.headers),
			body: JSON.parse(text),
			bytes: new TextEncoder().encode(text).byteLength,
		};
		calls.push(call);
		const next = answers.shift() ?? fallback;
		const answer = typeof next === "function" ? next(call) : next;
		if (answer instanceof Error) throw answer;
		return answer;
	};
	return { fetch: fn as typeof fetch, calls, answers };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
	new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

/** The contract's batch answer, one result per event, each with the given status (default accepted). */
export function batchAnswer(call: Call, statusOf: (e: PulseStreamEvent, i: number) => string = () => "accepted", headers: Record<string, string> = {}) {
	const results = call.body.events.map((e, index) => ({
		index,
		event_id: e.event_id,
		status: statusOf(e, index),
		...(statusOf(e, index) === "rejected" ? { errors: [{ path: `events.${index}.status_code`, message: "expected an integer" }] } : {}),
	}));
	const count = (s: string) => results.filter((r) => r.status === s).length;
	return json(
		{ accepted: count("accepted"), duplicates: count("duplicate"), rejected: count("rejected"), rate_limited: count("rate_limited"), results },
		200,
		headers,
	);
}

export const acceptAll = (call: Call) => batchAnswer(call);

export const errorBody = (code: string, message = "nope") => ({ error: { code, message, details: [], request_id: "r" } });
