import { Signal } from "./signal";
import type { LoggedIn, Tenant, TokenPair, User } from "./types";

/**
 * The signed-in session: tokens in sessionStorage (this tab only, gone with
 * it), refreshed a minute before the access token expires and on a 401.
 *
 * Refresh tokens rotate on every use and a token used twice revokes its whole
 * family, so a refresh is never run twice for one token: one refresh at a
 * time in this tab (a shared promise), and across tabs holding the same
 * session (a duplicated tab copies sessionStorage) a Web Lock serializes
 * refreshes while a BroadcastChannel hands the new pair to the others.
 */
export type Session = {
	access_token: string;
	refresh_token: string;
	/** epoch ms */
	expires_at: number;
	user: User;
	tenant?: Tenant;
};

const STORAGE_KEY = "pulsestream.session";
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

export const session = new Signal<Session | null>(load());
/** Why the last session ended, for the sign-in page ("expired", "signed out"). */
export const endedBecause = new Signal<string | null>(null);

function load(): Session | null {
	try {
		const raw = sessionStorage.getItem(STORAGE_KEY);
		const s = raw ? (JSON.parse(raw) as Session) : null;
		return s?.access_token && s.refresh_token && s.user?.tenant_id ? s : null;
	} catch {
		return null;
	}
}

function store(s: Session | null): void {
	if (s) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
	else sessionStorage.removeItem(STORAGE_KEY);
	session.set(s);
	schedule();
}

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("pulsestream-auth") : null;
type Rotation = { from: string; to: Session };
channel?.addEventListener("message", (e: MessageEvent<Rotation>) => {
	const current = session.get();
	if (current && e.data?.from === current.refresh_token) store(e.data.to);
});

function withPair(base: Session, pair: TokenPair): Session {
	return {
		...base,
		access_token: pair.access_token,
		refresh_token: pair.refresh_token,
		expires_at: Date.now() + pair.expires_in * 1000,
	};
}

/** Starts a session from the sign-in answer. */
export function begin(answer: LoggedIn): void {
	endedBecause.set(null);
	store(withPair({ user: answer.user } as Session, answer));
}

export function setTenant(tenant: Tenant): void {
	const s = session.get();
	if (s) store({ ...s, tenant });
}

/** Ends the session locally (the server side is `signOut`). */
export function end(reason: string | null): void {
	endedBecause.set(reason);
	store(null);
}

let inFlight: Promise<Session | null> | null = null;

/**
 * Rotates the refresh token. Resolves to the new session, or null when the
 * session is over (the refresh token was refused), in which case it has ended.
 * A network failure rejects and keeps the session, to be tried again.
 */
export function refresh(): Promise<Session | null> {
	const token = session.get()?.refresh_token;
	inFlight ??= serialized(() => rotate(token)).finally(() => {
		inFlight = null;
	});
	return inFlight;
}

function serialized<T>(fn: () => Promise<T>): Promise<T> {
	const locks = (navigator as Navigator & { locks?: LockManager }).locks;
	return locks ? (locks.request("pulsestream-refresh", fn) as Promise<T>) : fn();
}

async function rotate(token: string | undefined): Promise<Session | null> {
	const before = session.get();
	// Another tab rotated this token while we waited for the lock, and handed us the new pair.
	if (!before || !token || before.refresh_token !== token) return before;
	const res = await fetch("/api/v1/auth/refresh", {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ refresh_token: token }),
	});
	if (res.status === 401) {
		const now = session.get();
		if (now && now.refresh_token !== token) return now;
		end("Your session has ended. Sign in again.");
		return null;
	}
	if (!res.ok) throw new Error(`refresh answered ${res.status}`);
	const pair = (await res.json()) as TokenPair;
	const current = session.get();
	if (!current) return null; // signed out meanwhile
	const next = withPair(current, pair);
	store(next);
	channel?.postMessage({ from: token, to: next } satisfies Rotation);
	return next;
}

/** An access token that is valid for at least a minute more (refreshing first when needed), or null. */
export async function validToken(): Promise<string | null> {
	const s = session.get();
	if (!s) return null;
	if (s.expires_at - Date.now() > EARLY_MS) return s.access_token;
	return (await refresh())?.access_token ?? null;
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Keeps the session fresh while the tab is open: a refresh a minute before expiry. */
function schedule(): void {
	clearTimeout(timer);
	const s = session.get();
	if (!s) return;
	const wait = Math.max(5_000, s.expires_at - Date.now() - EARLY_MS);
	timer = setTimeout(() => {
		refresh().catch(() => schedule());
	}, wait);
}
schedule();

// Background tabs throttle timers: check again as soon as the tab is seen.
document.addEventListener("visibilitychange", () => {
	if (document.visibilityState === "visible" && session.get()) validToken().catch(() => {});
});
