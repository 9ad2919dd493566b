import * as auth from "./auth";

/** An API failure with the envelope's stable code: `{error: {code, message}}`. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		/** Seconds, from Retry-After (429). */
		readonly retryAfter: number | null = null,
		/** The envelope's per-field problems (422). */
		readonly details: { path: string; message: string }[] = [],
	) {
		super(message);
		this.name = "ApiError";
	}
}

type Options = {
	body?: unknown;
	/** false for the routes that take no credential (sign-in, reset). */
	auth?: boolean;
	signal?: AbortSignal;
};

async function failure(res: Response): Promise<ApiError> {
	const retry = Number(res.headers.get("Retry-After"));
	const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
	try {
		const body = (await res.json()) as { error?: { code?: string; message?: string; details?: { path: string; message: string }[] } };
		const e = body.error;
		if (e?.code) return new ApiError(res.status, e.code, e.message ?? res.statusText, retryAfter, Array.isArray(e.details) ? e.details : []);
	} catch {}
	return new ApiError(res.status, `HTTP_${res.status}`, `The server answered ${res.status} ${res.statusText}.`.trim(), retryAfter);
}

async function send(method: string, path: string, opts: Options, token: string | null): Promise<Response> {
	const headers: Record<string, string> = { Accept: "application/json" };
	if (opts.body !== undefined) headers["Content-Type"] = "application/json";
	if (token) headers.Authorization = `Bearer ${token}`;
	try {
		return await fetch(`/api/v1${path}`, {
			method,
			headers,
			body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
			signal: opts.signal,
			cache: "no-store",
		});
	} catch (err) {
		if ((err as Error).name === "AbortError") throw err;
		throw new ApiError(0, "NETWORK", "Cannot reach PulseStream. Check your connection.");
	}
}

/**
 * Calls `/api/v1<path>`. With a user session it sends a fresh access token,
 * and on a 401 refreshes once and tries again; when the refresh is refused
 * the session ends (the page goes back to sign in).
 */
export async function api<T>(method: string, path: string, opts: Options = {}): Promise<T> {
	const useAuth = opts.auth !== false;
	let token = useAuth ? await auth.validToken() : null;
	if (useAuth && !token) throw new ApiError(401, "UNAUTHORIZED", "Sign in to continue.");
	let res = await send(method, path, opts, token);
	if (res.status === 401 && useAuth) {
		await res.body?.cancel();
		token = (await auth.refresh())?.access_token ?? null;
		if (!token) throw new ApiError(401, "UNAUTHORIZED", "Your session has ended. Sign in again.");
		res = await send(method, path, opts, token);
		if (res.status === 401) auth.end("Your session has ended. Sign in again.");
	}
	if (!res.ok) throw await failure(res);
	if (res.status === 204 || res.status === 202) {
		await res.body?.cancel();
		return undefined as T;
	}
	return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>("GET", path, { signal });
export const post = <T>(path: string, body?: unknown, opts: Omit<Options, "body"> = {}) => api<T>("POST", path, { ...opts, body });

/** A sentence for the person, from any failure. */
export function explain(err: unknown): string {
	if (err instanceof ApiError) {
		// Lockouts and rate limits say when to try again, unless the message already does.
		if (err.status === 429 && err.retryAfter && !/try again/i.test(err.message)) {
			const wait = err.retryAfter >= 90 ? `${Math.ceil(err.retryAfter / 60)} minutes` : `${err.retryAfter} seconds`;
			return `${err.message} Try again in ${wait}.`;
		}
		if (err.details.length) return `${err.message} ${err.details.map((d) => `${d.path ? `${d.path}: ` : ""}${d.message}`).join("; ")}`;
		return err.message;
	}
	return err instanceof Error ? err.message : String(err);
}

/** `?a=1&b=2` from the defined entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : "";
}
