import { beforeAll, describe, expect, it } from "vitest";
import {
	bearer,
	call,
	errorOf,
	flush,
	ingestBatch,
	keyHeader,
	type Registered,
	registerTenant,
} from "../../helpers";

type Page = { events: { event_id: string; timestamp: string; [k: string]: unknown }[]; next_cursor: string | null };

const base = Date.parse("2026-11-20T12:00:00.000Z");
let a: Registered;
let b: Registered;

async function search(t: Registered, query: string, auth: "key" | "token" = "key") {
	return call(`/api/v1/ingestion/events/search?${query}`, {
		headers: auth === "key" ? keyHeader(t) : bearer(t.access_token),
	});
}

beforeAll(async () => {
	[a, b] = await Promise.all([registerTenant(), registerTenant()]);
	// 30 events a minute apart, varied on every filterable field.
	const events = Array.from({ length: 30 }, (_, i) => ({
		event_id: `s-${String(i).padStart(2, "0")}`,
		event_type: (["api_call", "error", "user_action"] as const)[i % 3],
		timestamp: base + i * 60_000,
		source: i % 2 ? "web" : "worker",
		severity: i % 5 === 0 ? "critical" : undefined,
		endpoint: i % 3 === 0 ? `/v1/items/${i % 2}` : undefined,
		method: i % 3 === 0 ? (i % 2 ? "POST" : "GET") : undefined,
		status_code: i % 3 === 0 ? [200, 302, 404, 503][i % 4] : undefined,
		response_time_ms: i % 3 === 0 ? i : undefined,
		user_id: `u${i % 4}`,
		session_id: `sess${i % 5}`,
	}));
	expect((await (await ingestBatch(a, events)).json<{ accepted: number }>()).accepted).toBe(30);
	await ingestBatch(b, [{ event_id: "b-secret", event_type: "custom", timestamp: base }]);
	await Promise.all([flush(a.tenant.id), flush(b.tenant.id)]);
});

describe("GET /ingestion/events/search", () => {
	it("returns newest first by timestamp, with an API key or a user token", async () => {
		for (const auth of ["key", "token"] as const) {
			const res = await search(a, "limit=5", auth);
			expect(res.status).toBe(200);
			const page = await res.json<Page>();
			expect(page.events.map((e) => e.event_id)).toEqual(["s-29", "s-28", "s-27", "s-26", "s-25"]);
			expect(page.next_cursor).toBeTruthy();
		}
	});

	it("walks every page with the cursor, without gaps or repeats, even while newer events arrive", async () => {
		const seen: string[] = [];
		let cursor: string | null = null;
		let round = 0;
		do {
			const page: Page = await (await search(a, `limit=7${cursor ? `&cursor=${cursor}` : ""}&source=worker`)).json();
			seen.push(...page.events.map((e) => e.event_id));
			cursor = page.next_cursor;
			if (round++ === 0) {
				// Concurrent inserts newer than the first page must not shift later pages.
				await ingestBatch(a, [
					{ event_id: "late-new", event_type: "custom", source: "worker" },
					{ event_id: "late-newer", event_type: "custom", source: "worker" },
				]);
				await flush(a.tenant.id);
			}
		} while (cursor);
		const expected = Array.from({ length: 30 }, (_, i) => i)
			.filter((i) => i % 2 === 0)
			.reverse()
			.map((i) => `s-${String(i).padStart(2, "0")}`);
		expect(seen).toEqual(expected);
	});

	it("applies every filter of the contract", async () => {
		const ids = async (q: string) => (await (await search(a, `${q}&limit=100&to=${base + 29 * 60_000}`)).json<Page>()).events.map((e) => e.event_id);
		const all = Array.from({ length: 30 }, (_, i) => i);
		const expectIds = (pred: (i: number) => boolean) =>
			all.filter(pred).reverse().map((i) => `s-${String(i).padStart(2, "0")}`);

		expect(await ids("event_type=error")).toEqual(expectIds((i) => i % 3 === 1));
		expect(await ids("severity=critical")).toEqual(expectIds((i) => i % 5 === 0));
		expect(await ids("source=web")).toEqual(expectIds((i) => i % 2 === 1));
		expect(await ids(`endpoint=${encodeURIComponent("/v1/items/1")}`)).toEqual(expectIds((i) => i % 3 === 0 && i % 2 === 1));
		expect(await ids("method=POST")).toEqual(expectIds((i) => i % 3 === 0 && i % 2 === 1));
		expect(await ids("status_code=503")).toEqual(expectIds((i) => i % 3 === 0 && i % 4 === 3));
		expect(await ids("status_class=3xx")).toEqual(expectIds((i) => i % 3 === 0 && i % 4 === 1));
		expect(await ids("status_class=5xx")).toEqual(expectIds((i) => i % 3 === 0 && i % 4 === 3));
		expect(await ids("user_id=u2")).toEqual(expectIds((i) => i % 4 === 2));
		expect(await ids("session_id=sess3")).toEqual(expectIds((i) => i % 5 === 3));
		const from = new Date(base + 10 * 60_000).toISOString();
		expect(await ids(`from=${from}&to_ignored=1`)).toEqual(expectIds((i) => i >= 10));
		expect(await ids(`from=${base + 27 * 60_000}`)).toEqual(["s-29", "s-28", "s-27"]);
		expect(await ids(`from=${encodeURIComponent("2026-11-20T17:28:00+05:00")}`)).toEqual(expectIds((i) => i >= 28));
		// An offset sent unencoded: its "+" arrives as a space.
		expect(await ids("from=2026-11-20T17:28:00+05:00")).toEqual(expectIds((i) => i >= 28));
	});

	it("422 for out-of-range or unknown query values, never clamped", async () => {
		for (const q of [
			"limit=5000",
			"limit=0",
			"limit=abc",
			"status_class=9xx",
			"status_code=99",
			"status_code=2OO",
			"event_type=click",
			"method=get",
			"from=yesterday",
			"cursor=not-a-cursor",
		]) {
			const res = await search(a, q);
			expect(res.status, q).toBe(422);
			const error = await errorOf(res);
			expect(error.code).toBe("VALIDATION_ERROR");
			expect(error.details![0]!.path, q).toBe(q.split("=")[0]);
		}
	});

	it("needs credentials", async () => {
		expect((await call("/api/v1/ingestion/events/search")).status).toBe(401);
		const res = await call("/api/v1/ingestion/events/search", { headers: bearer("not.a.jwt") });
		expect(res.status).toBe(401);
	});
});

describe("tenant isolation", () => {
	it("tenant A's key and token never see tenant B's events; B's event id is a 404 for A", async () => {
		for (const auth of ["key", "token"] as const) {
			const page = await (await search(a, "limit=1000", auth)).json<Page>();
			expect(page.events.map((e) => e.event_id)).not.toContain("b-secret");
			const res = await call("/api/v1/ingestion/events/b-secret", {
				headers: auth === "key" ? keyHeader(a) : bearer(a.access_token),
			});
			expect(res.status).toBe(404);
			expect((await errorOf(res)).code).toBe("NOT_FOUND");
		}
		const own = await call("/api/v1/ingestion/events/b-secret", { headers: keyHeader(b) });
		expect(own.status).toBe(200);
		expect(await own.json()).toMatchObject({ event_id: "b-secret", event_type: "custom" });
	});

	it("stats are per tenant", async () => {
		const stats = await (await call("/api/v1/ingestion/stats", { headers: bearer(b.access_token) })).json();
		expect(stats).toMatchObject({ total_events: 1, by_type: { custom: 1, api_call: 0, error: 0, user_action: 0 } });
	});
});

describe("GET /ingestion/events/{event_id}", () => {
	it("returns the event with received_at; an unknown or malformed id is 404", async () => {
		const res = await call("/api/v1/ingestion/events/s-03", { headers: keyHeader(a) });
		expect(res.status).toBe(200);
		const ev = await res.json<Record<string, unknown>>();
		expect(ev).toMatchObject({
			event_id: "s-03",
			event_type: "api_call",
			timestamp: new Date(base + 3 * 60_000).toISOString(),
			status_code: 503,
			method: "POST",
		});
		expect(Date.parse(ev.received_at as string)).toBeGreaterThan(base);
		expect((await call("/api/v1/ingestion/events/nope", { headers: keyHeader(a) })).status).toBe(404);
		expect((await call("/api/v1/ingestion/events/%20bad%20id", { headers: keyHeader(a) })).status).toBe(404);
	});
});
