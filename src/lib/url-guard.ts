/**
 * Where a notification may be sent. Outside ENVIRONMENT=development (and
 * the test environment, whose receivers are local) only `https` URLs to
 * public hosts: no credentials in the URL, no `localhost` or internal names,
 * no literal loopback, private, link-local, CGNAT or metadata address in
 * IPv4 or IPv6 form. Checked when a channel is created or changed and again
 * before every delivery. Workers cannot resolve DNS before fetching, so a
 * public name that resolves to a private address is refused by Cloudflare's
 * own egress, not here.
 */
export function unsafeUrlReason(raw: string, env: Pick<Env, "ENVIRONMENT">): string | null {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return "is not a valid absolute URL";
	}
	if (url.username || url.password) return "must not carry credentials";
	const local = env.ENVIRONMENT === "development" || env.ENVIRONMENT === "test";
	if (url.protocol !== "https:" && !(local && url.protocol === "http:")) return "must use https";
	if (local) return null;
	const host = url.hostname.toLowerCase().replace(/\.$/, "");
	if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) {
		return "must name a public host";
	}
	if (!host.includes(".") && !host.startsWith("[")) return "must name a public host";
	if (isPrivateAddress(host)) return "must not point at a loopback, private, link-local or metadata address";
	return null;
}

function ipv4(host: string): number[] | null {
	// WHATWG URL parsing already turned 0x7f.1, 2130706433 and friends into dotted decimal.
	const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (!m) return null;
	const parts = m.slice(1).map(Number);
	return parts.every((p) => p <= 255) ? parts : null;
}

function privateV4([a, b]: number[]): boolean {
	return (
		a === 0 ||
		a === 10 ||
		a === 127 ||
		(a === 100 && b! >= 64 && b! <= 127) ||
		(a === 169 && b === 254) ||
		(a === 172 && b! >= 16 && b! <= 31) ||
		(a === 192 && b === 168) ||
		(a === 192 && b === 0) ||
		(a === 198 && (b === 18 || b === 19)) ||
		a! >= 224
	);
}

function isPrivateAddress(host: string): boolean {
	const v4 = ipv4(host);
	if (v4) return privateV4(v4);
	if (!host.startsWith("[")) return false;
	const v6 = host.slice(1, -1);
	if (v6 === "::" || v6 === "::1") return true;
	// IPv4-mapped (::ffff:a.b.c.d, which URL renders as ::ffff:7f00:1) and the like.
	const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
	if (mapped) {
		const hi = parseInt(mapped[1]!, 16);
		const lo = parseInt(mapped[2]!, 16);
		return privateV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
	}
	if (v6.startsWith("::ffff:") || /^::[0-9a-f]/.test(v6)) return true;
	const first = parseInt(v6.split(":")[0] || "0", 16);
	return (
		(first & 0xfe00) === 0xfc00 || // unique local fc00::/7
		(first & 0xffc0) === 0xfe80 || // link-local fe80::/10
		(first & 0xff00) === 0xff00 || // multicast
		v6.startsWith("fd00:ec2::") // AWS metadata over IPv6
	);
}
