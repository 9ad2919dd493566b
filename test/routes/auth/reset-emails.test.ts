import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BASE, registerTenant, requestResetAndWait } from "../../helpers";

// At most 3 reset emails an hour to one recipient, across tenants (further
// requests still answer 202 and send nothing); no text an anonymous caller chose.

afterEach(() => {
	vi.restoreAllMocks();
	vi.useRealTimers();
});

type Sent = { to: string[]; subject: string; text: string; html?: string };

/** Without EMAIL_API_URL, emails go to the log as JSON: the ones sent to `to`. */
function mailbox() {
	const spy = vi.spyOn(console, "warn");
	return (to: string): Sent[] =>
		spy.mock.calls
			.map(([line]) => (typeof line === "string" && line.includes('"email"') ? (JSON.parse(line).email as Sent) : null))
			.filter((e): e is Sent => e !== null && e.to.includes(to));
}

const tokensOf = async (email: string) =>
	(await env.DB.prepare("SELECT count(*) AS n FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = ?").bind(email).first<{ n: number }>())!.n;

describe("password reset emails", () => {
	it("at most 3 an hour reach one address across tenants; the rest answer 202 and send nothing", async () => {
		const victim = `victim-${crypto.randomUUID().slice(0, 8)}@example.com`;
		const tenants = [];
		for (let i = 0; i < 5; i++) tenants.push(await registerTenant({ email: victim }));
		const sent = mailbox();
		vi.useFakeTimers({ toFake: ["Date"] });
		const start = Date.now();
		for (const t of tenants) expect((await requestResetAndWait(t.tenant.slug, victim)).status).toBe(202);
		// Two minutes on, past each account's once-a-minute throttle: still the recipient's limit.
		vi.setSystemTime(start + 2 * 60_000);
		for (const t of tenants) expect((await requestResetAndWait(t.tenant.slug, victim)).status).toBe(202);
		expect(sent(victim)).toHaveLength(3);
		// Nothing was stored for the emails that were not sent: no link exists that nobody received.
		expect(await tokensOf(victim)).toBe(3);

		// An hour after the first, the address may receive again.
		vi.setSystemTime(start + 61 * 60_000);
		expect((await requestResetAndWait(tenants[4]!.tenant.slug, victim)).status).toBe(202);
		expect(sent(victim)).toHaveLength(4);

		// Other addresses were never limited by it.
		const other = await registerTenant();
		expect((await requestResetAndWait(other.tenant.slug, other.user.email)).status).toBe(202);
		expect(sent(other.user.email)).toHaveLength(1);
	});

	it("carry no tenant name, slug or full name: only fixed wording, the recipient's address and our link", async () => {
		const phishing = "URGENT account suspended call +1 555 0100 now";
		const slug = `call-5550100-now-${crypto.randomUUID().slice(0, 6)}`;
		const owner = `owner.${crypto.randomUUID().replace(/[^a-f]/g, "").slice(0, 8)}@example.com`;
		const t = await registerTenant({ name: phishing, slug, email: owner, full_name: "Security Desk call 555 0100" });
		const sent = mailbox();
		await requestResetAndWait(slug, t.user.email);
		const [email] = sent(t.user.email);
		expect(email).toBeDefined();
		// The random token is ours; take it out so it cannot spell anything by chance.
		const token = /token=([A-Za-z0-9_-]{43})/.exec(email!.text)![1]!;
		const all = `${email!.subject}\n${email!.text}\n${email!.html}`.replaceAll(token, "TOKEN");
		expect(all).not.toMatch(/URGENT|suspended|555|Security Desk/i);
		expect(all).not.toContain(slug);
		expect(email!.subject).toBe("Reset your PulseStream password");
		expect(email!.text).toContain(t.user.email);
		expect(email!.text).toMatch(new RegExp(`^[\\s\\S]*${BASE.replace(/\./g, "\\.")}/dashboard/reset-password\\?token=[A-Za-z0-9_-]{43}\\n`));
		expect(email!.html).toContain(`${BASE}/dashboard/reset-password?token=`);
	});
});
