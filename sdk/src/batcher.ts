import type { PulseStreamEvent } from "./types.js";

/** The server's limit for one event's JSON (the contract's 1 MiB). */
export const EVENT_MAX_BYTES = 1024 * 1024;
/** The server takes at most 1,000 events per batch. */
export const SERVER_MAX_BATCH = 1000;

/**
 * A queued event, serialized once at capture: the bytes are measured once,
 * a later mutation of the caller's object cannot change what is sent, and a
 * retry sends exactly the same text (same event_id, same timestamp).
 */
export interface Item {
	event: PulseStreamEvent;
	json: string;
	bytes: number;
}

const utf8 = new TextEncoder();

/** UTF-8 length of a string; JSON.stringify has already escaped lone surrogates, so this is exact. */
export function utf8Length(text: string): number {
	// ASCII-only text (the usual case) is as long as it is: no need to encode it.
	return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).byteLength;
}

// `{"events":[` + `]}`: what a body adds around its events (and one comma between two).
const ENVELOPE_BYTES = utf8Length('{"events":[]}');

/** The request body for a batch, built from the stored JSON texts. */
export function bodyOf(items: readonly Item[]): string {
	return `{"events":[${items.map((i) => i.json).join(",")}]}`;
}

/** Bytes of a body holding `count` events of `eventBytes` bytes in all. */
export function bodySize(count: number, eventBytes: number): number {
	return ENVELOPE_BYTES + Math.max(count - 1, 0) + eventBytes;
}

/** Bytes of the body bodyOf() would build. */
export function bodyBytes(items: readonly Item[]): number {
	let total = 0;
	for (const item of items) total += item.bytes;
	return bodySize(items.length, total);
}

/**
 * Cuts the queue into request bodies of at most maxEvents events and
 * maxBytes bytes, in capture order. An event bigger than the byte budget on
 * its own still has to go somewhere: it travels alone (the server takes up
 * to 1 MiB per event and 5 MiB per body, so that is always acceptable).
 */
export function toBatches(items: readonly Item[], maxEvents: number, maxBytes: number): Item[][] {
	const batches: Item[][] = [];
	let current: Item[] = [];
	let size = ENVELOPE_BYTES;
	for (const item of items) {
		const added = item.bytes + (current.length > 0 ? 1 : 0);
		if (current.length > 0 && (current.length >= maxEvents || size + added > maxBytes)) {
			batches.push(current);
			current = [];
			size = ENVELOPE_BYTES;
		}
		size += item.bytes + (current.length > 0 ? 1 : 0);
		current.push(item);
	}
	if (current.length > 0) batches.push(current);
	return batches;
}
