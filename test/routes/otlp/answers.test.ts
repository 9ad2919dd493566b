import { describe, expect, it } from "vitest";
import { call, countEvents, flush, inFreshWindow, patchTenant, registerTenant, send } from "../../helpers";
import { exportTo, fixtures, fromBase64, logPb, logsPb, readPb, spanPb, storedEvents, tracesPb } from "./otlp";

const fixture = fromBase64(fixtures.traces.protobuf.body_base64);
const MiB = 1024 * 1024;

async function gzip(chunks: Iterable<Uint8Array>): Promise<Uint8Array> {
	const iterator = chunks[Symbol.iterator]();
	const source = new ReadableStream<Uint8Array>({
		pull(controller) {
			const next = iterator.next();
			if (next.done) controller.close();
			else controller.enqueue(next.value);
		},
	});
	return new Uint8Array(await new Response(source.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

describe("OTLP answers: content type, encoding and size", () => {
	it("another content type is 415 (answered in JSON), and so is an encoding other than gzip", async () => {
		const t = await registerTenant();
		for (const type of ["text/plain", "application/octet-stream", "application/grpc", ""]) {
			const res = await exportTo("traces", t, fixture, type);
			expect(res.status, type).toBe(415);
			expect(res.headers.get("content-type")).toBe("application/json");
			expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
		}
		for (const encoding of ["br", "deflate", "zstd"]) {
			const res = await exportTo("traces", t, fixture, "application/x-protobuf", { "Content-Encoding": encoding });
			expect(res.status, encoding).toBe(415);
			expect(res.headers.get("content-type")).toBe("application/x-protobuf");
		}
		// With parameters and in any case the types are recognised.
		expect((await exportTo("traces", t, fixture, "Application/X-Protobuf; charset=binary")).status).toBe(200);
		expect(await storedEvents(t)).toHaveLength(3);
	});

	it("a body past 5 MiB is 413, plain or after decompression; a gzip bomb stops at the limit", async () => {
		const t = await registerTenant();
		const big = new Uint8Array(5 * MiB + 1);
		const plain = await exportTo("traces", t, big);
		expect(plain.status).toBe(413);

		// 64 MiB of zeros in about 64 KB: decompression stops at 5 MiB.
		const zeros = new Uint8Array(MiB);
		const bomb = await gzip((function* () {
			for (let i = 0; i < 64; i++) yield zeros;
		})());
		expect(bomb.byteLength).toBeLessThan(200_000);
		const res = await exportTo("traces", t, bomb, "application/x-protobuf", { "Content-Encoding": "gzip" });
		expect(res.status).toBe(413);
		const m = readPb(new Uint8Array(await res.arrayBuffer()));
		expect(new TextDecoder().decode(m.get(2)![0] as Uint8Array)).toBe(`The body after decompression exceeds the limit of ${5 * MiB} bytes.`);

		// Just under the limit after decompression is decoded (zeros are empty fields of number 0: 400, not 413).
		const under = await gzip([new Uint8Array(5 * MiB)]);
		expect((await exportTo("traces", t, under, "application/x-protobuf", { "Content-Encoding": "gzip" })).status).toBe(400);
		// A real export gzipped by us decodes like the exporters' own.
		const ok = await exportTo("traces", t, await gzip([fixture]), "application/x-protobuf", { "Content-Encoding": "gzip" });
		expect(ok.status).toBe(200);
		expect(await storedEvents(t)).toHaveLength(3);
	});

	it("an empty export is a success with nothing stored", async () => {
		const t = await registerTenant();
		expect((await exportTo("traces", t, new Uint8Array(0))).status).toBe(200);
		expect((await exportTo("logs", t, "{}", "application/json")).status).toBe(200);
		expect(await storedEvents(t)).toEqual([]);
	});
});

describe("OTLP answers: keys and browsers", () => {
	it("no key or a forged key is 401, a key without the ingest scope 403, as a Status; nothing is stored", async () => {
		const t = await registerTenant();
		const missing = await exportTo("traces", null, fixture);
		expect(missing.status).toBe(401);
		expect(readPb(new Uint8Array(await missing.arrayBuffer())).get(1)).toEqual([16]);
		const forged = await exportTo("traces", null, fixture, "application/x-protobuf", { "X-API-Key": `${t.api_key.key.slice(0, -3)}AAA` });
		expect(forged.status).toBe(401);

		const created = await send("POST", "/api/v1/api-keys", t.access_token, { name: "reader", scopes: ["read"] });
		const reader = ((await created.json()) as { key: string }).key;
		const res = await exportTo("logs", null, JSON.stringify({ resourceLogs: [] }), "application/json", { "X-API-Key": reader });
		expect(res.status).toBe(403);
		const json = (await res.json()) as { code: number; error: { code: string } };
		expect([json.code, json.error.code]).toEqual([7, "FORBIDDEN"]);

		const publishable = await send("POST", "/api/v1/api-keys", t.access_token, { name: "web", scopes: ["ingest"] });
		const ingestKey = ((await publishable.json()) as { key: string }).key;
		expect((await exportTo("traces", null, fixture, "application/x-protobuf", { "X-API-Key": ingestKey })).status).toBe(200);
		expect(await storedEvents(t)).toHaveLength(3);
	});

	it("preflights are answered for POST with the contract's headers; answers carry CORS headers, errors too", async () => {
		for (const signal of ["traces", "logs"]) {
			const pre = await call(`/api/v1/otlp/v1/${signal}`, {
				method: "OPTIONS",
				headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key" },
			});
			expect(pre.status).toBe(204);
			expect(pre.headers.get("access-control-allow-origin")).toBe("*");
			expect(pre.headers.get("access-control-allow-methods")).toBe("POST");
			expect(pre.headers.get("access-control-allow-headers")).toContain("X-API-Key");
			const refused = await exportTo(signal as "traces", null, "{}", "application/json", { Origin: "https://shop.example" });
			expect(refused.status).toBe(401);
			expect(refused.headers.get("access-control-allow-origin")).toBe("*");
			expect(refused.headers.get("access-control-expose-headers")).toContain("Retry-After");
		}
		const wrong = await call("/api/v1/otlp/v1/traces", { method: "OPTIONS", headers: { "Access-Control-Request-Method": "GET" } });
		expect(wrong.status).toBe(404);
	});
});

describe("OTLP answers: the rate limit", () => {
	it("what fits is accepted and the answer is 429 with Retry-After; the retried export loses and doubles nothing", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		expect((await patchTenant(t, { rate_limit_per_minute: 3 })).status).toBe(200);
		const spans = [1, 2, 3, 4, 5].map((i) => spanPb({ spanId: i.toString(16).padStart(16, "0") }));
		const body = tracesPb(spans);
		const first = await exportTo("traces", t, body);
		expect(first.status).toBe(429);
		expect(Number(first.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(first.headers.get("x-ratelimit-remaining")).toBe("0");
		expect(readPb(new Uint8Array(await first.arrayBuffer())).get(1)).toEqual([8]);
		expect((await storedEvents(t)).map((e) => e.event_id.slice(-1))).toEqual(["1", "2", "3"]);

		// As if the window had passed (the limit is raised instead of waiting a minute).
		expect((await patchTenant(t, { rate_limit_per_minute: 100 })).status).toBe(200);
		const retry = await exportTo("traces", t, body);
		expect(retry.status).toBe(200);
		await flush(t.tenant.id);
		expect(await countEvents(t.tenant.id)).toBe(5);
		const stats = (await (await call("/api/v1/ingestion/stats", { headers: { "X-API-Key": t.api_key.key } })).json()) as Record<string, number>;
		expect(stats).toMatchObject({ total_events: 5, duplicates: 3, rate_limited: 2, rejected: 0 });
	});

	it("log exports count against the same limit, in events", async () => {
		const t = await registerTenant();
		await inFreshWindow();
		expect((await patchTenant(t, { rate_limit_per_minute: 2 })).status).toBe(200);
		const res = await exportTo("logs", t, logsPb([logPb({ body: "a" }), logPb({ body: "b" }), logPb({ body: "c" })]));
		expect(res.status).toBe(429);
		expect(await storedEvents(t)).toHaveLength(2);
	});
});
