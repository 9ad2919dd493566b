import { describe, expect, it } from "vitest";
import { type Registered, flush, inFreshWindow, ingest, ingestBatch, patchTenant, registerTenant } from "../../helpers";
import { BOUNDS, buckets, scrape, total } from "./scrape";

const call = (endpoint: string | undefined, method: string | undefined, status: number | undefined, ms?: number) => ({
	event_type: "api_call",
	...(endpoint !== undefined ? { endpoint } : {}),
	...(method ? { method } : {}),
	...(status ? { status_code: status } : {}),
	...(ms !== undefined ? { response_time_ms: ms } : {}),
});

/** Known traffic: 11 accepted (8 api_calls), 2 duplicates, 1 rejected, 2 rate limited. */
async function knownTraffic(): Promise<Registered> {
	const t = await registerTenant();
	await inFreshWindow();
	expect((await patchTenant(t, { rate_limit_per_minute: 11 })).status).toBe(200);
	expect((await ingest(t, { event_id: "k1", ...call("/a", "GET", 200, 5) })).status).toBe(202);
	const batch = await ingestBatch(t, [
		{ event_id: "k2", ...call("/a", "GET", 200, 10) },
		{ event_id: "k3", ...call("/a", "POST", 201, 5.5) },
		{ event_id: "k4", ...call("/b", "GET", 404, 100) },
		{ event_id: "k5", ...call("/b", "GET", 500, 10_000) },
		{ event_id: "k6", ...call("/b", "DELETE", 503, 20_000) },
		{ event_id: "k7", ...call(undefined, "GET", 200, 1) },
		{ event_id: "k8", ...call("/c", undefined, undefined) },
		{ event_id: "k9", event_type: "error" },
		{ event_id: "k10", event_type: "custom" },
		{ event_id: "k11", event_type: "user_action" },
		{ event_id: "k1", ...call("/a", "GET", 200, 5) },
		{ event_id: "k2", ...call("/a", "GET", 200, 10) },
		{ event_type: "bogus" },
	]);
	expect(await batch.json()).toMatchObject({ accepted: 10, duplicates: 2, rejected: 1, rate_limited: 0 });
	const limited = await ingestBatch(t, [{ event_id: "k12", event_type: "custom" }, { event_id: "k13", event_type: "custom" }]);
	expect(limited.status).toBe(429);
	await flush(t.tenant.id);
	return t;
}

describe("GET /api/v1/metrics: the figures of known traffic", () => {
	it("counts events, api_calls, errors and drops exactly, with HELP and TYPE for every family", async () => {
		const t = await knownTraffic();
		const m = await scrape(t);
		expect(Object.fromEntries(m.types)).toEqual({
			pulsestream_events_total: "counter",
			pulsestream_api_calls_total: "counter",
			pulsestream_errors_total: "counter",
			pulsestream_api_call_duration_seconds: "histogram",
			pulsestream_events_dropped_total: "counter",
			pulsestream_alerts_active: "gauge",
		});
		for (const name of m.types.keys()) expect(m.helps.get(name), name).toBeTruthy();
		expect(m.all("pulsestream_events_total").map((s) => [s.labels.event_type, s.value])).toEqual([
			["api_call", 8],
			["error", 1],
			["user_action", 1],
			["custom", 1],
		]);
		expect(m.all("pulsestream_api_calls_total").map((s) => [s.labels.endpoint, s.labels.method, s.labels.status_class, s.value])).toEqual([
			// api_calls without an endpoint, method or status carry an empty label (Prometheus: no label).
			["", "GET", "2xx", 1],
			["/a", "GET", "2xx", 2],
			["/a", "POST", "2xx", 1],
			["/b", "DELETE", "5xx", 1],
			["/b", "GET", "4xx", 1],
			["/b", "GET", "5xx", 1],
			["/c", "", "", 1],
		]);
		expect(m.get("pulsestream_errors_total")).toBe(3);
		expect(m.get("pulsestream_events_dropped_total", { reason: "duplicate" })).toBe(2);
		expect(m.get("pulsestream_events_dropped_total", { reason: "rejected" })).toBe(1);
		expect(m.get("pulsestream_events_dropped_total", { reason: "rate_limited" })).toBe(2);
		expect(m.all("pulsestream_alerts_active").map((s) => [s.labels.severity, s.value])).toEqual([
			["info", 0],
			["warning", 0],
			["critical", 0],
		]);
	});

	it("the histogram is cumulative, exact at its bounds, in seconds, and only for calls with a response time", async () => {
		const t = await knownTraffic();
		const m = await scrape(t);
		const bucketed = new Set(m.all("pulsestream_api_call_duration_seconds_bucket").map((s) => s.labels.endpoint ?? "(none)"));
		expect([...bucketed].sort()).toEqual(["", "/a", "/b"]);
		for (const endpoint of bucketed) {
			expect(m.all("pulsestream_api_call_duration_seconds_bucket", { endpoint }).map((s) => s.labels.le)).toEqual(BOUNDS);
		}
		// /a: 5 ms (at 0.005 exactly), 5.5 ms and 10 ms (at 0.01 exactly).
		expect(buckets(m, "/a")).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
		// /b: 100 ms (at 0.1), 10 s (at 10, the last bound), 20 s (+Inf only).
		expect(buckets(m, "/b")).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3]);
		expect(buckets(m, "")).toEqual(BOUNDS.map(() => 1));
		expect(m.get("pulsestream_api_call_duration_seconds_sum", { endpoint: "/a" })).toBeCloseTo(0.0205, 12);
		expect(m.get("pulsestream_api_call_duration_seconds_sum", { endpoint: "/b" })).toBeCloseTo(30.1, 9);
		expect(m.get("pulsestream_api_call_duration_seconds_count", { endpoint: "/a" })).toBe(3);
		expect(m.get("pulsestream_api_call_duration_seconds_count", { endpoint: "/b" })).toBe(3);
		expect(m.get("pulsestream_api_call_duration_seconds_count", { endpoint: "/c" })).toBeUndefined();
	});

	it("a new tenant exposes every family, its counters at zero", async () => {
		const t = await registerTenant();
		const m = await scrape(t);
		expect(m.types.size).toBe(6);
		expect(total(m, "pulsestream_events_total")).toBe(0);
		expect(m.all("pulsestream_events_total")).toHaveLength(4);
		expect(m.get("pulsestream_errors_total")).toBe(0);
		expect(m.all("pulsestream_api_calls_total")).toEqual([]);
		expect(m.all("pulsestream_events_dropped_total")).toHaveLength(3);
	});
});

describe("endpoint labels", () => {
	it("the first 100 endpoints keep their own series for good; later ones count as other, and totals add up", async () => {
		const t = await registerTenant();
		const first = Array.from({ length: 120 }, (_, i) => ({ event_id: `ep-${i}`, ...call(`/e/${i}`, "GET", 200, 1) }));
		await ingestBatch(t, first);
		await flush(t.tenant.id);
		const m = await scrape(t);
		const own = m.all("pulsestream_api_calls_total").filter((s) => s.labels.endpoint !== "other");
		expect(own.map((s) => s.labels.endpoint).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `/e/${i}`).sort());
		expect(m.get("pulsestream_api_calls_total", { endpoint: "other", method: "GET", status_class: "2xx" })).toBe(20);
		expect(total(m, "pulsestream_api_calls_total")).toBe(120);
		expect(new Set(m.all("pulsestream_api_call_duration_seconds_count").map((s) => s.labels.endpoint)).size).toBe(101);
		expect(total(m, "pulsestream_api_call_duration_seconds_count")).toBe(120);

		// Later: a slotted endpoint keeps growing its own series, a late one and one named "other" go to other.
		await ingestBatch(t, [
			{ event_id: "late-1", ...call("/e/5", "GET", 200, 1) },
			{ event_id: "late-2", ...call("/e/110", "GET", 200, 1) },
			{ event_id: "late-3", ...call("/brand-new", "GET", 200, 1) },
			{ event_id: "late-4", ...call("other", "GET", 200, 1) },
		]);
		await flush(t.tenant.id);
		const later = await scrape(t);
		expect(later.get("pulsestream_api_calls_total", { endpoint: "/e/5", method: "GET", status_class: "2xx" })).toBe(2);
		expect(later.get("pulsestream_api_calls_total", { endpoint: "other", method: "GET", status_class: "2xx" })).toBe(23);
		expect(later.all("pulsestream_api_calls_total")).toHaveLength(101);
	});

	it("a quote, a backslash and a line feed in an endpoint are escaped, and read back exactly", async () => {
		const t = await registerTenant();
		const nasty = '/q"uote\\back\nline} 9';
		await ingest(t, call(nasty, "GET", 200, 7));
		await flush(t.tenant.id);
		const m = await scrape(t);
		expect(m.text).toContain('endpoint="/q\\"uote\\\\back\\nline} 9"');
		expect(m.get("pulsestream_api_calls_total", { endpoint: nasty, method: "GET", status_class: "2xx" })).toBe(1);
		expect(buckets(m, nasty)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
	});

	it("a tenant with 1,000 endpoints scrapes small: 101 endpoint labels at most, every call still counted", async () => {
		const t = await registerTenant();
		const events = Array.from({ length: 1000 }, (_, i) => call(`/thousand/${i}`, i % 2 ? "GET" : "POST", i % 5 ? 200 : 500, i));
		expect((await (await ingestBatch(t, events)).json<{ accepted: number }>()).accepted).toBe(1000);
		await flush(t.tenant.id);
		const m = await scrape(t);
		const endpoints = new Set(m.samples.map((s) => s.labels.endpoint).filter((e) => e !== undefined));
		expect(endpoints.size).toBe(101);
		expect(total(m, "pulsestream_api_calls_total")).toBe(1000);
		expect(total(m, "pulsestream_api_call_duration_seconds_count")).toBe(1000);
		expect(m.get("pulsestream_errors_total")).toBe(200);
		// 101 histograms of 17 lines, 101 endpoints times at most 4 (method, class) pairs, and the rest.
		expect(m.samples.length).toBeLessThan(101 * 17 + 101 * 4 + 20);
		expect(m.text.length).toBeLessThan(256 * 1024);
	});
});
