import { describe, expect, it } from "vitest";
import { ingestBatch, registerTenant } from "../../helpers";
import { type Json, dash, detailPaths } from "./rest-helpers";

describe("GET /dashboard/events/stream", () => {
	it("answers the newest accepted events, newest first, 50 by default and up to limit", async () => {
		const t = await registerTenant();
		await ingestBatch(t, Array.from({ length: 60 }, (_, i) => ({ event_id: `s-${i}`, event_type: "custom", tags: { i } })));
		await ingestBatch(t, [{ event_id: "s-60", event_type: "api_call", endpoint: "/x", method: "GET", status_code: 201, response_time_ms: 7.5 }]);
		const all = await dash(t, "/events/stream");
		expect(all.status).toBe(200);
		const ids = (all.body.events as Json[]).map((e) => e.event_id);
		expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `s-${60 - i}`));
		expect((all.body.events as Json[])[0]).toMatchObject({
			event_id: "s-60",
			event_type: "api_call",
			endpoint: "/x",
			method: "GET",
			status_code: 201,
			response_time_ms: 7.5,
			payload: null,
			tags: null,
			source: null,
		});
		expect((all.body.events as Json[])[1]).toMatchObject({ event_id: "s-59", tags: { i: 59 } });
		const three = await dash(t, "/events/stream?limit=3");
		expect((three.body.events as Json[]).map((e) => e.event_id)).toEqual(["s-60", "s-59", "s-58"]);
		const max = await dash(t, "/events/stream?limit=200");
		expect((max.body.events as Json[]).length).toBe(61);
	});

	it("refuses a limit outside 1..200 with 422, never clamps it", async () => {
		const t = await registerTenant();
		for (const limit of ["0", "201", "-1", "abc", "1.5", "5000", ""]) {
			const { status, body } = await dash(t, `/events/stream?limit=${limit}`);
			expect(status, limit).toBe(422);
			expect(detailPaths(body)).toEqual(["limit"]);
		}
		expect((await dash(t, "/events/stream?limit=1")).status).toBe(200);
		expect((await dash(t, "/events/stream?limit=200")).status).toBe(200);
	});
});
