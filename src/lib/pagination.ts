import { z } from "@hono/zod-openapi";
import { type Column, type SQL, and, eq, gt, lt, or } from "drizzle-orm";
import { ApiError } from "./errors";

/**
 * `limit` as a query value: an integer in 1..max (422 beyond, never clamped).
 * Documented as the integer it is: the generated schema (a string with a
 * pattern and a numeric default) is one whose default fails its own type,
 * which linters rightly flag.
 */
export function LimitQuery(max: number, fallback: number) {
	return z
		.string()
		.regex(/^\d{1,7}$/, `an integer from 1 to ${max}`)
		.transform(Number)
		.pipe(z.number().int().min(1).max(max))
		.optional()
		.default(fallback)
		.openapi({ type: "integer", minimum: 1, maximum: max, default: fallback, description: `How many, from 1 to ${max}` });
}

/**
 * A keyset position (time, id) of a list sorted newest first: a page boundary
 * is a position, not an offset, so rows inserted meanwhile never shift or
 * repeat what a client has already seen.
 */
export type Cursor = { t: number; id: string };

export function encodeCursor(c: Cursor): string {
	return btoa(JSON.stringify([c.t, c.id])).replace(/=+$/, "");
}

/**
 * The rows strictly past `cur` in a (time, id) keyset order: older ones for a
 * list sorted newest first ("desc"), newer ones for oldest first ("asc").
 */
export function pastCursor(time: Column, id: Column, cur: Cursor, order: "asc" | "desc" = "desc"): SQL {
	const past = order === "desc" ? lt : gt;
	return or(past(time, cur.t), and(eq(time, cur.t), past(id, cur.id)))!;
}

/** The cursor a client sent back, or a 422 naming `cursor` when it is not one of ours. */
export function decodeCursor(raw: string, id: RegExp): Cursor {
	try {
		const [t, cid] = JSON.parse(atob(raw)) as unknown[];
		if (typeof t === "number" && Number.isInteger(t) && typeof cid === "string" && id.test(cid)) return { t, id: cid };
	} catch {
		// fall through to the 422
	}
	throw new ApiError({
		code: "VALIDATION_ERROR",
		message: "The cursor is not one this API returned.",
		details: [{ path: "cursor", message: "invalid cursor" }],
	});
}
