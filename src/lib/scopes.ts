/**
 * What an API key may do. `ingest` sends events; `read` reads them (search,
 * get, stats, dashboard REST). A key with `ingest` only is publishable: it can
 * sit in a web page or an app, because whoever copies it can send events and
 * read nothing.
 */
export const SCOPES = ["ingest", "read"] as const;
export type Scope = (typeof SCOPES)[number];

/** A key created without `scopes`, the registration key, and every key made before scopes existed. */
export const DEFAULT_SCOPES: Scope[] = [...SCOPES];

/** The same scopes in one canonical order, so lists and storage never depend on how a client ordered them. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
	return SCOPES.filter((s) => scopes.includes(s));
}

/**
 * Scopes as stored (JSON text in D1 and in the tenant object). Anything we
 * cannot read grants nothing: a damaged row must fail closed, never open.
 */
export function parseScopes(stored: unknown): Scope[] {
	let value: unknown = stored;
	if (typeof stored === "string") {
		try {
			value = JSON.parse(stored);
		} catch {
			return [];
		}
	}
	if (!Array.isArray(value)) return [];
	return normalizeScopes(value.filter((s): s is Scope => (SCOPES as readonly unknown[]).includes(s)));
}
