import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ANONYMOUS_LIMITS, hitLimit } from "../../src/auth/anonymous-limits";
import { pruneAccounts } from "../../src/cron/housekeeping";

const subject = () => `ip4:test-${crypto.randomUUID()}`;
const rows = async () => (await env.DB.prepare("SELECT count(*) AS n FROM anonymous_limits").first<{ n: number }>())!.n;

describe("hitLimit (the counter, with explicit times)", () => {
	it("allows exactly max hits in a window that starts at the first hit, then starts a new one", async () => {
		const s = subject();
		const t0 = 1_800_000_000_000;
		const { max, windowMs } = ANONYMOUS_LIMITS.login;
		for (let i = 1; i <= max; i++) {
			expect(await hitLimit(env, "login", s, t0 + i - 1)).toEqual({ allowed: true, count: i, windowEndsAt: t0 + windowMs });
		}
		expect(await hitLimit(env, "login", s, t0 + windowMs - 1)).toEqual({ allowed: false, count: max + 1, windowEndsAt: t0 + windowMs });
		// At the end of the window the next hit opens a new window from its own time.
		expect(await hitLimit(env, "login", s, t0 + windowMs)).toEqual({ allowed: true, count: 1, windowEndsAt: t0 + 2 * windowMs });
	});

	it("keeps limits and subjects apart", async () => {
		const s = subject();
		const now = 1_800_000_000_000;
		for (let i = 0; i < 10; i++) await hitLimit(env, "register", s, now);
		expect((await hitLimit(env, "register", s, now)).allowed).toBe(false);
		expect((await hitLimit(env, "reset", s, now)).allowed).toBe(true);
		expect((await hitLimit(env, "register", subject(), now)).allowed).toBe(true);
	});

	it("is exact under concurrency: 25 hits at once get the counts 1 to 25", async () => {
		const s = subject();
		const hits = await Promise.all(Array.from({ length: 25 }, () => hitLimit(env, "register", s, 1_800_000_000_000)));
		expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
		expect(hits.filter((h) => h.allowed)).toHaveLength(10);
	});

	it("keeps no address in clear: keys are the limit and a SHA-256", async () => {
		const s = `ip4:198.51.100.${Math.floor(Math.random() * 255)}`;
		await hitLimit(env, "reset", s, Date.now());
		const { results } = await env.DB.prepare("SELECT key FROM anonymous_limits").all<{ key: string }>();
		expect(results.length).toBeGreaterThan(0);
		for (const { key } of results) expect(key).toMatch(/^(register|login|reset|reset_email):[0-9a-f]{64}$/);
	});

	it("housekeeping deletes counters whose window has ended and keeps live ones", async () => {
		// The real time: housekeeping at a made-up future time would delete other tests' sessions.
		const now = Date.now();
		const ended = subject();
		const live = subject();
		await hitLimit(env, "register", ended, now - ANONYMOUS_LIMITS.register.windowMs - 1);
		await hitLimit(env, "register", live, now - 1000);
		const before = await rows();
		const deleted = await pruneAccounts(env, now);
		expect(deleted.anonymous_limits).toBeGreaterThanOrEqual(1);
		expect(await rows()).toBeLessThan(before);
		// The live window still counts where it was.
		expect((await hitLimit(env, "register", live, now)).count).toBe(2);
		expect((await hitLimit(env, "register", ended, now)).count).toBe(1);
	});
});
