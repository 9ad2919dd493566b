import { describe, expect, it } from "vitest";
import { EVENT_COLUMNS, toRow } from "../../src/tenant/event-row";
import type { NormalizedEvent } from "../../src/tenant/types";

describe("toRow", () => {
	it("writes the columns in EVENT_COLUMNS order, each value in its own place", () => {
		const ev: NormalizedEvent = {
			event_id: "id-1",
			event_type: "api_call",
			timestamp: 1,
			received_at: 2,
			source: "src",
			severity: "warning",
			endpoint: "/e",
			method: "GET",
			status_code: 201,
			response_time_ms: 3.5,
			user_id: "u",
			session_id: "s",
			payload: { p: [1] },
			tags: { t: true },
		};
		expect(toRow(ev)).toBe(JSON.stringify(EVENT_COLUMNS.map((c) => ev[c])));
		expect(JSON.parse(toRow(ev))).toHaveLength(EVENT_COLUMNS.length);
	});
});
