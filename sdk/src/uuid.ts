type Crypto = { randomUUID?: () => string; getRandomValues?: <T extends Uint8Array>(a: T) => T };

/**
 * A version-4 UUID. crypto.randomUUID exists in Workers, Node 19+ and
 * browsers, but browsers offer it only in secure contexts (https), and Node
 * 18 only as node:crypto's; crypto.getRandomValues is everywhere, so it is
 * the fallback.
 */
export function uuid(): string {
	const c = (globalThis as { crypto?: Crypto }).crypto;
	if (typeof c?.randomUUID === "function") return c.randomUUID();
	const b = new Uint8Array(16);
	if (typeof c?.getRandomValues === "function") c.getRandomValues(b);
	// No CSPRNG at all: an event_id only needs to be unique, not secret.
	else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
	b[6] = (b[6]! & 0x0f) | 0x40;
	b[8] = (b[8]! & 0x3f) | 0x80;
	const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
