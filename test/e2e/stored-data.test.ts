import { beforeAll, describe, expect, inject, it } from "vitest";

/**
 * Stored as sent and bounded search pages, against npm run dev (the workerd
 * suite runs a newer runtime): `__proto__` and friends round-trip, a lone
 * surrogate becomes one U+FFFD, and a search over large events is paged
 * under 4 MiB of JSON with nothing missing.
 */
const base = inject("baseUrl");
const PAGE_BYTES = 4 * 1024 * 1024;

type Registered = { tenant: { id: string }; api_key: { key: string } };
type Event = { event_id: string; source: string | null; payload: unknown; tags: unknown };
let t: Registered;

const post = (path: string, body: string) =>
	fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json", "X-API-Key": t.api_key.key }, body });
const get = (path: string) => fetch(`${base}${path}`, { headers: { "X-API-Key": t.api_key.key } });

/** Search until `check` holds (accepted events reach search within 5 s). */
async function searchUntil(query: string, check: (events: Event[]) => boolean): Promise<Event[]> {
	for (let i = 0; i < 100; i++) {
		const { events } = (await (await get(`/api/v1/ingestion/events/search?${query}`)).json()) as { events: Event[] };
		if (check(events)) return events;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`search ${query}: condition not met in time`);
}

beforeAll(async () => {
	const slug = `e2e-stored-${Date.now().toString(36)}`;
	const res = await fetch(`${base}/api/v1/auth/register/tenant`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ name: "Stored", slug, email: `o@${slug}.test`, password: "end-to-end-password" }),
	});
	expect(res.status).toBe(201);
	t = (await res.json()) as Registered;
});

describe("stored as sent, under npm run dev", () => {
	it("payload and tags keep __proto__, constructor and prototype; a lone surrogate becomes one U+FFFD", async () => {
		// Written as JSON text: an object literal with __proto__ would set a prototype, not a key.
		const body = '{"event_id":"as-sent-1","event_type":"custom","source":"svc-\\ud800-x",' +
			'"payload":{"__proto__":{"polluted":true},"constructor":{"prototype":1},"list":[1,{"__proto__":2}]},' +
			'"tags":{"__proto__":"tag","prototype":true}}';
		expect((await post("/api/v1/ingestion/events", body)).status).toBe(202);
		// GET by id reads D1, which the object's flush reaches within 5 s of the 202.
		let res = await get("/api/v1/ingestion/events/as-sent-1");
		for (let i = 0; i < 100 && res.status === 404; i++) {
			await new Promise((r) => setTimeout(r, 100));
			res = await get("/api/v1/ingestion/events/as-sent-1");
		}
		expect(res.status).toBe(200);
		const got = (await res.json()) as Event;
		expect(JSON.stringify(got.payload)).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":1},"list":[1,{"__proto__":2}]}');
		expect(JSON.stringify(got.tags)).toBe('{"__proto__":"tag","prototype":true}');
		expect(got.source).toBe("svc-\ufffd-x");
		const [found] = await searchUntil("source=" + encodeURIComponent("svc-\ufffd-x"), (events) => events.length === 1);
		expect(JSON.stringify(found!.payload)).toBe(JSON.stringify(got.payload));
	});

	it("a search over large events is paged under 4 MiB of JSON, each event exactly once", async () => {
		const ids: string[] = [];
		for (let i = 0; i < 6; i++) {
			const id = `large-${i}`;
			ids.push(id);
			const body = JSON.stringify({ event_id: id, event_type: "custom", source: "large", payload: { blob: "x".repeat(1_000_000) } });
			expect((await post("/api/v1/ingestion/events", body)).status).toBe(202);
		}
		await searchUntil("source=large&limit=1", (events) => events.length === 1 && events[0]!.event_id === "large-5");
		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const res = await get(`/api/v1/ingestion/events/search?source=large&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
			expect(res.status).toBe(200);
			const text = await res.text();
			expect(new TextEncoder().encode(text).byteLength).toBeLessThanOrEqual(PAGE_BYTES);
			const page = JSON.parse(text) as { events: Event[]; next_cursor: string | null };
			seen.push(...page.events.map((e) => e.event_id));
			cursor = page.next_cursor ?? null;
			pages++;
		} while (cursor && pages < 10);
		// Six 1 MB events do not fit one 4 MiB page: the first page was cut by size and still gave a cursor.
		expect(pages).toBeGreaterThan(1);
		expect(seen).toEqual([...ids].reverse());
	});
});
