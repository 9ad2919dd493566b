const encoder = new TextEncoder();

export function randomBytes(n: number): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(n));
}

export function toBase64Url(bytes: Uint8Array): string {
	let s = "";
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): Uint8Array {
	const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
	const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
	return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	let s = "";
	for (const b of view) s += b.toString(16).padStart(2, "0");
	return s;
}

/** A new opaque id: 32 lowercase hex characters (a UUID without dashes). */
export function newId(): string {
	return crypto.randomUUID().replaceAll("-", "");
}

/** Constant-time equality of two byte strings (lengths are not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.byteLength !== b.byteLength) return false;
	return crypto.subtle.timingSafeEqual(a, b);
}

export async function sha256Hex(text: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

// Workers cap PBKDF2 at 100,000 iterations; the count is stored with the hash
// so it can be raised later without invalidating existing passwords.
const PBKDF2_ITERATIONS = 100_000;

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
		"deriveBits",
	]);
	const bits = await crypto.subtle.deriveBits(
		{ name: "PBKDF2", hash: "SHA-256", salt, iterations },
		key,
		256,
	);
	return new Uint8Array(bits);
}

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>` with a fresh 16-byte salt per password. */
export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(16);
	const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
	return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [scheme, iterations, salt, hash] = stored.split("$");
	if (scheme !== "pbkdf2-sha256" || !iterations || !salt || !hash) return false;
	const actual = await pbkdf2(password, fromBase64Url(salt), Number(iterations));
	return timingSafeEqual(actual, fromBase64Url(hash));
}

/**
 * A PBKDF2 hash of a throwaway password with our iteration count: a sign-in
 * for an unknown account verifies against it, so it takes as long as one for
 * a real account and timing cannot tell which accounts exist.
 */
export const DUMMY_PASSWORD_HASH = "pbkdf2-sha256$100000$cuPVyJe2guuMKc-PwWKsgA$cQH0xengA_g3E6D0bkYrBFNburFhYczVYPwY9kNSgmY";
