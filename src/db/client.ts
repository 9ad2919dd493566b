import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function db(env: Env) {
	return drizzle(env.DB, { schema });
}

/** True when D1 refused a write because a UNIQUE constraint on `column` (e.g. "tenants.slug") is taken. */
export function isUniqueViolation(err: unknown, column: string): boolean {
	const text = `${err instanceof Error ? err.message : err} ${err instanceof Error && err.cause ? String(err.cause) : ""}`;
	return text.includes("UNIQUE constraint failed") && text.includes(column);
}
