/**
 * The client an anonymous request is counted under, from `CF-Connecting-IP`
 * (set by Cloudflare's edge on every request; a client-sent value is replaced
 * there, but passes through `wrangler dev` unchanged).
 *
 * - IPv4: the address (`ip4:203.0.113.7`).
 * - IPv6: the /64 prefix (`ip6:2001:db8:1:2::/64`). One subscriber, one
 *   machine even, usually holds a whole /64 and can pick any of its 2^64
 *   addresses (privacy extensions rotate them by themselves), so counting
 *   per address would give one client an unlimited supply of fresh counters.
 *   An IPv4-mapped address (`::ffff:203.0.113.7`) counts as its IPv4.
 * - Anything else (missing, empty, a list, a name, a zone id, junk) is the
 *   one `shared` client: a request whose origin we cannot tell must not get
 *   a fresh counter by sending a new garbled value each time.
 */
export const SHARED_CLIENT = "shared";

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Only what an IPv6 literal can hold (hex, colons, an embedded IPv4's dots): no zone id, brackets or spaces. */
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;

export function clientOf(header: string | null | undefined): string {
	if (!header) return SHARED_CLIENT;
	if (IPV4.test(header)) return `ip4:${header}`;
	if (!IPV6_CHARS.test(header) || !header.includes(":")) return SHARED_CLIENT;
	const groups = ipv6Groups(header);
	if (!groups) return SHARED_CLIENT;
	if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
		return `ip4:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
	}
	return `ip6:${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/**
 * The eight 16-bit groups of an IPv6 literal, or null when it is not one.
 * The URL parser (WHATWG, the same in workerd and Node) does the validation
 * and writes the address back in canonical form: lowercase hex groups, one
 * `::` at most, an embedded IPv4 turned into hex. Expanding that is simple.
 */
function ipv6Groups(literal: string): number[] | null {
	let host: string;
	try {
		host = new URL(`http://[${literal}]/`).hostname;
	} catch {
		return null;
	}
	const inner = host.slice(1, -1);
	const [head, tail] = inner.includes("::") ? inner.split("::") : [inner, undefined];
	const left = head ? head.split(":") : [];
	const right = tail ? tail.split(":") : [];
	const missing = 8 - left.length - right.length;
	if (missing < 0 || (tail === undefined && missing !== 0)) return null;
	const groups = [...left, ...Array<string>(missing).fill("0"), ...right].map((g) => parseInt(g, 16));
	return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
