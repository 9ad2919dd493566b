import { z } from "@hono/zod-openapi";

/**
 * "Stored as sent" (API.md, Event ingestion): `payload` and `tags` keep
 * exactly the keys and values a producer sent, `__proto__`, `constructor` and
 * `prototype` included, and every string is stored well-formed.
 *
 * Why these schemas do not use z.record: zod builds a fresh `{}` for a
 * record's output and, to keep that object's prototype safe, skips an own
 * `__proto__` key altogether (neither validated nor copied). JSON.parse
 * creates `__proto__` as an ordinary own property, so the producer's key was
 * silently lost. Here the object is validated in place and the very value
 * JSON.parse built is what gets stored: nothing is ever assigned through a
 * `__proto__` setter, so nothing can be polluted either.
 */

export type TagValue = string | number | boolean;

/** Deeper payloads are refused: they cost stack to serialize and no dashboard can show them. */
export const MAX_PAYLOAD_DEPTH = 32;
export const MAX_TAG_KEY = 128;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One pass over a payload: its nesting depth (stopping past the limit) and
 * whether it holds a number JSON cannot carry back. `1e400` parses to
 * Infinity, which JSON.stringify would store as null: refusing it is the
 * only way to keep "as sent" true.
 */
function inspect(root: unknown): { depth: number; nonFinite: boolean } {
	let depth = 0;
	const stack: [unknown, number][] = [[root, 1]];
	while (stack.length) {
		const [value, d] = stack.pop()!;
		if (d > depth) depth = d;
		if (depth > MAX_PAYLOAD_DEPTH) return { depth, nonFinite: false };
		for (const child of Object.values(value as object)) {
			if (child && typeof child === "object") stack.push([child, d + 1]);
			else if (typeof child === "number" && !Number.isFinite(child)) return { depth, nonFinite: true };
		}
	}
	return { depth, nonFinite: false };
}

/** `payload`: any JSON object, at most MAX_PAYLOAD_DEPTH levels deep, returned as the very object sent. */
export const PayloadInput = z
	.custom<Record<string, unknown>>(isObject, { message: "expected an object" })
	.superRefine((p, ctx) => {
		const { depth, nonFinite } = inspect(p);
		if (depth > MAX_PAYLOAD_DEPTH) ctx.addIssue({ code: "custom", message: `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels` });
		else if (nonFinite) ctx.addIssue({ code: "custom", message: "payload holds a number outside the range of a double" });
	})
	.openapi({ type: "object", additionalProperties: {}, description: "Any JSON object, stored and returned as sent" });

/** `tags`: a flat object of string, number or boolean values (keys up to 128 characters), returned as sent. */
export const TagsInput = z
	.custom<Record<string, TagValue>>(isObject, { message: "expected an object" })
	.superRefine((tags, ctx) => {
		for (const [key, value] of Object.entries(tags)) {
			if (key.length > MAX_TAG_KEY) ctx.addIssue({ code: "custom", path: [key], message: `a tag key is at most ${MAX_TAG_KEY} characters` });
			const ok = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
			if (!ok) ctx.addIssue({ code: "custom", path: [key], message: "a tag value is a string, a finite number or a boolean" });
		}
	})
	.openapi({
		type: "object",
		additionalProperties: { oneOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }] },
		description: "A flat object of string, number or boolean values, stored and returned as sent",
		example: { region: "eu", version: 3, canary: true },
	});

/**
 * JSON.stringify escapes a lone surrogate as `\udXXX` and writes a valid pair
 * as the characters themselves, so in its output this pattern only matches
 * lone surrogates (or a literal backslash followed by "ud8..", a harmless
 * false positive). One scan of a row the edge builds anyway decides whether
 * the rare slow path below runs.
 */
const ESCAPED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/;

export const mayHoldLoneSurrogate = (json: string): boolean => ESCAPED_SURROGATE.test(json);

/**
 * A copy in which every string, keys included, is well-formed: each lone
 * surrogate becomes one U+FFFD (String.prototype.toWellFormed). Left as they
 * are, D1 turns a `\ud800` escape into three invalid UTF-8 bytes that come
 * back as three U+FFFD. Properties are defined, never assigned, so a
 * `__proto__` key stays an own key; two keys that become equal keep the later
 * value, as JSON.parse does with repeated keys. Recursion is bounded: it runs
 * on validated events (payload depth at most MAX_PAYLOAD_DEPTH, tags flat).
 */
export function wellFormed<T>(value: T): T {
	if (typeof value === "string") return value.toWellFormed() as T;
	if (Array.isArray(value)) return value.map(wellFormed) as T;
	if (isObject(value)) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) {
			Object.defineProperty(out, k.toWellFormed(), { value: wellFormed(v), enumerable: true, writable: true, configurable: true });
		}
		return out as T;
	}
	return value;
}
