import { describe, expect, it } from "vitest";
import { unsafeUrlReason } from "../../src/lib/url-guard";

const production = { ENVIRONMENT: "production" };

describe("unsafeUrlReason", () => {
	it("accepts an https URL to a public host in production", () => {
		expect(unsafeUrlReason("https://hooks.example.com/pulse?x=1", production)).toBeNull();
		expect(unsafeUrlReason("https://hooks.slack.com/services/T0/B0/XXXX", production)).toBeNull();
		expect(unsafeUrlReason("https://93.184.216.34/hook", production)).toBeNull();
	});

	it("refuses loopback, private, link-local, metadata and internal hosts in production", () => {
		for (const url of [
			"https://localhost/hook",
			"https://api.localhost/hook",
			"https://printer.local/hook",
			"https://db.internal/hook",
			"https://intranet/hook",
			"https://127.0.0.1/hook",
			"https://127.1/hook",
			"https://2130706433/hook",
			"https://0x7f000001/hook",
			"https://0.0.0.0/hook",
			"https://10.1.2.3/hook",
			"https://172.16.0.1/hook",
			"https://192.168.1.1/hook",
			"https://100.64.0.1/hook",
			"https://169.254.169.254/latest/meta-data",
			"https://[::1]/hook",
			"https://[::]/hook",
			"https://[::ffff:127.0.0.1]/hook",
			"https://[::ffff:10.0.0.1]/hook",
			"https://[fd00::1]/hook",
			"https://[fe80::1]/hook",
			"https://[fd00:ec2::254]/hook",
		]) {
			expect(unsafeUrlReason(url, production), url).not.toBeNull();
		}
	});

	it("refuses plain http, other schemes, credentials in the URL and non-URLs in production", () => {
		expect(unsafeUrlReason("http://hooks.example.com/pulse", production)).toBe("must use https");
		expect(unsafeUrlReason("ftp://hooks.example.com/pulse", production)).toBe("must use https");
		expect(unsafeUrlReason("javascript:alert(1)", production)).toBe("must use https");
		expect(unsafeUrlReason("https://user:secret@hooks.example.com/", production)).toBe("must not carry credentials");
		expect(unsafeUrlReason("https://user@hooks.example.com/", production)).toBe("must not carry credentials");
		expect(unsafeUrlReason("not a url", production)).toBe("is not a valid absolute URL");
		expect(unsafeUrlReason("/relative/path", production)).toBe("is not a valid absolute URL");
	});

	it("lets development and tests post to local receivers over http, still without credentials", () => {
		for (const ENVIRONMENT of ["development", "test"]) {
			expect(unsafeUrlReason("http://localhost:8788/hook", { ENVIRONMENT })).toBeNull();
			expect(unsafeUrlReason("http://127.0.0.1/hook", { ENVIRONMENT })).toBeNull();
			expect(unsafeUrlReason("https://u:p@localhost/", { ENVIRONMENT })).toBe("must not carry credentials");
			expect(unsafeUrlReason("ftp://localhost/", { ENVIRONMENT })).toBe("must use https");
		}
		// Anything that is not explicitly local is treated as production.
		expect(unsafeUrlReason("http://localhost/hook", { ENVIRONMENT: "staging" })).not.toBeNull();
	});
});
