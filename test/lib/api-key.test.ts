import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateApiKey, readApiKey } from "../../src/lib/api-key";
import { apiKeySecrets } from "../../src/lib/api-key-secrets";
import { sha256Hex } from "../../src/lib/crypto";
import { ApiError } from "../../src/lib/errors";

const FORMAT = /^ps_([0-9a-f]{4})_([0-9a-f]{32})_[A-Za-z0-9_-]{43}_[A-Za-z0-9_-]{22}$/;
const TENANT = "0123456789abcdef0123456789abcdef";
const SECRET_A = "rotation-test-secret-a-long-enough-for-hmac-keys";
const SECRET_B = "rotation-test-secret-b-long-enough-for-hmac-keys";

const withSecrets = (current: string | undefined, previous?: string, environment = "test") =>
	({ ...env, ENVIRONMENT: environment, API_KEY_SECRET: current, API_KEY_SECRET_PREVIOUS: previous }) as Env;

/** The 401 readApiKey throws, or a failure naming what was accepted. */
async function refusal(e: Env, header: string | null | undefined): Promise<ApiError> {
	try {
		const accepted = await readApiKey(e, header);
		throw new Error(`accepted ${JSON.stringify(header)} as ${accepted.tenantId}`);
	} catch (err) {
		if (!(err instanceof ApiError)) throw err;
		expect(err.code).toBe("UNAUTHORIZED");
		return err;
	}
}

/** Replacements for `c`: another hex digit (keeps a hex part well-formed, so the tag is what refuses it) and another letter. */
const othersThan = (c: string) => [c === "0" ? "1" : "0", c === "A" ? "B" : "A"];

describe("API key format", () => {
	it("is ps_<key id>_<tenant id>_<43-character secret>_<22-character tag>; the prefix, hash and tenant follow from it", async () => {
		const a = await generateApiKey(env, TENANT);
		const b = await generateApiKey(env, TENANT);
		const [, kid, tenant] = FORMAT.exec(a.key)!;
		expect(tenant).toBe(TENANT);
		expect(a.key).toHaveLength(107);
		expect(b.key).not.toBe(a.key);
		expect(b.key.startsWith(`ps_${kid}_${TENANT}_`)).toBe(true);
		expect(a.prefix).toBe(a.key.slice(0, 47));
		expect(a.hash).toBe(await sha256Hex(a.key));
		expect(a.id).toMatch(/^[0-9a-f]{32}$/);
		expect(await readApiKey(env, a.key)).toEqual({ tenantId: TENANT, keyHash: a.hash });
	});

	it("names its secret with a key id derived from it: the same for one secret, different for another", async () => {
		const kid = async (secret: string) => FORMAT.exec((await generateApiKey(withSecrets(secret), TENANT)).key)![1];
		expect(await kid(SECRET_A)).toBe(await kid(SECRET_A));
		expect(await kid(SECRET_A)).not.toBe(await kid(SECRET_B));
	});
});

describe("keys this deployment never issued are refused at the edge", () => {
	it("a missing, empty, doubled or padded header", async () => {
		const { key } = await generateApiKey(env, TENANT);
		for (const header of [undefined, null, "", " ", key + " ", " " + key, `${key}, ${key}`, `${key},${key}`, key.toUpperCase()]) {
			expect((await refusal(env, header)).message).toBe("A valid X-API-Key header is required.");
		}
	});

	it("every one-character change anywhere in a real key (garbled), with the same answer an unknown key gets", async () => {
		const { key } = await generateApiKey(env, TENANT);
		let wellFormed = 0;
		for (let i = 0; i < key.length; i++) {
			for (const c of othersThan(key[i]!)) {
				const garbled = key.slice(0, i) + c + key.slice(i + 1);
				const err = await refusal(env, garbled);
				// Format errors and forged tags read differently, but a forged tag reads like a revoked key.
				if (FORMAT.test(garbled)) {
					wellFormed++;
					expect(err.message, `position ${i}`).toBe("The API key is unknown or revoked.");
				}
			}
		}
		// Most of them kept the format: the tag, not the pattern, refused them.
		expect(wellFormed).toBeGreaterThan(150);
	});

	it("every truncation, and a key with a character added", async () => {
		const { key } = await generateApiKey(env, TENANT);
		for (let n = 0; n < key.length; n++) await refusal(env, key.slice(0, n));
		await refusal(env, `${key}A`);
		await refusal(env, `A${key}`);
	});

	it("a made-up tenant part, a tag moved from another tenant's key, a made-up key id", async () => {
		const { key } = await generateApiKey(env, TENANT);
		const other = await generateApiKey(env, "fedcba9876543210fedcba9876543210");
		const [, kid] = FORMAT.exec(key)!;
		const madeUp = key.replace(TENANT, crypto.randomUUID().replaceAll("-", ""));
		const spliced = key.slice(0, -22) + other.key.slice(-22);
		const otherKid = key.replace(`ps_${kid}_`, `ps_${kid === "0000" ? "0001" : "0000"}_`);
		const handMade = `ps_${kid}_${TENANT}_${"A".repeat(43)}_${"A".repeat(22)}`;
		for (const forged of [madeUp, spliced, otherKid, handMade]) {
			expect(forged).toMatch(FORMAT);
			expect((await refusal(env, forged)).message).toBe("The API key is unknown or revoked.");
		}
	});

	it("a key tagged by another deployment's secret", async () => {
		const { key } = await generateApiKey(withSecrets(SECRET_A), TENANT);
		await refusal(withSecrets(SECRET_B), key);
	});
});

describe("rotating the secret", () => {
	it("keys of the previous secret work while it is set; new keys use the new one; dropping it ends the old keys", async () => {
		const before = withSecrets(SECRET_A);
		const during = withSecrets(SECRET_B, SECRET_A);
		const after = withSecrets(SECRET_B);
		const old = await generateApiKey(before, TENANT);
		expect((await readApiKey(during, old.key)).keyHash).toBe(old.hash);

		const renewed = await generateApiKey(during, TENANT);
		expect(renewed.key.slice(0, 8)).toBe((await generateApiKey(after, TENANT)).key.slice(0, 8));
		expect(renewed.key.slice(0, 8)).not.toBe(old.key.slice(0, 8));
		expect((await readApiKey(during, renewed.key)).keyHash).toBe(renewed.hash);
		expect((await readApiKey(after, renewed.key)).keyHash).toBe(renewed.hash);

		await refusal(after, old.key);
		await refusal(before, renewed.key);
	});

	it("a previous secret equal to the current one is harmless", async () => {
		const same = withSecrets(SECRET_A, SECRET_A);
		expect(apiKeySecrets(same)).toEqual([SECRET_A]);
		const { key } = await generateApiKey(same, TENANT);
		expect((await readApiKey(withSecrets(SECRET_A), key)).tenantId).toBe(TENANT);
	});
});

describe("the secret's configuration", () => {
	afterEach(() => vi.restoreAllMocks());

	it("outside development a missing or short API_KEY_SECRET is a clear INTERNAL error, never a default", async () => {
		for (const secret of [undefined, "", "too-short"]) {
			const e = withSecrets(secret, undefined, "production");
			expect(() => apiKeySecrets(e)).toThrowError(/API_KEY_SECRET is missing/);
			await expect(generateApiKey(e, TENANT)).rejects.toMatchObject({ code: "INTERNAL" });
		}
		expect(() => apiKeySecrets(withSecrets(SECRET_A, "short", "production"))).toThrowError(/API_KEY_SECRET_PREVIOUS is missing/);
	});

	it("in development a missing secret falls back to a development-only value, which no other deployment accepts", async () => {
		const dev = withSecrets(undefined, undefined, "development");
		const { key } = await generateApiKey(dev, TENANT);
		expect((await readApiKey(dev, key)).tenantId).toBe(TENANT);
		await refusal(env, key);
	});

	it("imports each secret's CryptoKey once per isolate, not per request", async () => {
		const fresh = withSecrets(`import-once-${crypto.randomUUID()}`);
		const imports = vi.spyOn(crypto.subtle, "importKey");
		const { key } = await generateApiKey(fresh, TENANT);
		for (let i = 0; i < 5; i++) await readApiKey(fresh, key);
		expect(imports).toHaveBeenCalledTimes(1);
	});
});
