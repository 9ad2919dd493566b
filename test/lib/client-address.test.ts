import { describe, expect, it } from "vitest";
import { SHARED_CLIENT, clientOf } from "../../src/lib/client-address";

describe("clientOf (the client an anonymous request counts under)", () => {
	it("an IPv4 address is its own client", () => {
		expect(clientOf("203.0.113.7")).toBe("ip4:203.0.113.7");
		expect(clientOf("0.0.0.0")).toBe("ip4:0.0.0.0");
		expect(clientOf("255.255.255.255")).toBe("ip4:255.255.255.255");
		expect(clientOf("203.0.113.8")).not.toBe(clientOf("203.0.113.7"));
	});

	it("an IPv6 address counts as its /64, however it is written", () => {
		const key = clientOf("2001:db8:1:2::1");
		expect(key).toBe("ip6:2001:db8:1:2::/64");
		for (const same of ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:DB8:0001:0002:0:0:0:7", "2001:db8:1:2:a:b:c:d", "2001:0db8:1:2::"]) {
			expect(clientOf(same), same).toBe(key);
		}
		expect(clientOf("2001:db8:1:3::1")).toBe("ip6:2001:db8:1:3::/64");
		expect(clientOf("::1")).toBe("ip6:0:0:0:0::/64");
		expect(clientOf("::")).toBe("ip6:0:0:0:0::/64");
		expect(clientOf("fe80::1:2:3:4")).toBe("ip6:fe80:0:0:0::/64");
		// An embedded IPv4 in the low bits is still IPv6 (it names the /64).
		expect(clientOf("64:ff9b::203.0.113.7")).toBe("ip6:64:ff9b:0:0::/64");
	});

	it("an IPv4-mapped IPv6 address is that IPv4 client", () => {
		expect(clientOf("::ffff:203.0.113.7")).toBe("ip4:203.0.113.7");
		expect(clientOf("::ffff:cb00:7107")).toBe("ip4:203.0.113.7");
	});

	it("anything else is the one shared client", () => {
		for (const bad of [
			null,
			undefined,
			"",
			" ",
			"garbage",
			"localhost",
			"256.1.1.1",
			"1.2.3",
			"1.2.3.4.5",
			"01.2.3.4",
			"1.2.3.4, 5.6.7.8",
			"1.2.3.4 ",
			"[2001:db8::1]",
			"fe80::1%eth0",
			"2001:db8::1::2",
			"1:2:3:4:5:6:7:8:9",
			"12345::1",
			"2001:db8:g::1",
			":",
			"1:2:3:4:5:6:7",
			"x".repeat(100),
		]) {
			expect(clientOf(bad), JSON.stringify(bad)).toBe(SHARED_CLIENT);
		}
	});
});
