import { createRoute, z } from "@hono/zod-openapi";
import { requireRead } from "../../lib/auth";
import { errorResponses } from "../../lib/errors";
import { jsonContent } from "../../lib/router";
import { EventInput, StoredEvent } from "./event-schema";
import { SearchQuery } from "./search";

const readSecurity: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];

/** The rate-limit headers every ingestion answer carries (OTLP's too), for the OpenAPI document. */
export const rateLimitHeaders = {
	"X-RateLimit-Limit": { schema: { type: "integer" as const }, description: "Events per minute" },
	"X-RateLimit-Remaining": { schema: { type: "integer" as const }, description: "Events left in this minute" },
	"X-RateLimit-Reset": { schema: { type: "integer" as const }, description: "Seconds until the window resets" },
};

const ItemResult = z.object({
	index: z.number().int(),
	event_id: z.string().nullable(),
	status: z.enum(["accepted", "duplicate", "rejected", "rate_limited"]),
	errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/**
 * The two ingestion routes are documented from these definitions but read
 * their bodies themselves (ingest.ts): a batch is validated item by item, and
 * size, content type and key are checked before any schema.
 */
export const ingestSingleRoute = createRoute({
	method: "post",
	path: "/ingestion/events",
	summary: "Ingest one event",
	operationId: "ingestEvent",
	tags: ["Ingestion"],
	description: "202 when accepted, 200 when the same `event_id` was accepted in the last 24 hours. The body is at most 1 MiB; every answer carries the rate-limit headers.",
	security: [{ ApiKey: [] }],
	request: { body: { required: true, content: jsonContent(EventInput) } },
	responses: {
		202: {
			description: "Accepted",
			headers: rateLimitHeaders,
			content: jsonContent(z.object({ event_id: z.string(), status: z.literal("accepted") })),
		},
		200: {
			description: "The same event_id was accepted in the last 24 hours",
			headers: rateLimitHeaders,
			content: jsonContent(z.object({ event_id: z.string(), status: z.literal("duplicate") })),
		},
		...errorResponses(400, 401, 403, 413, 415, 422, 429),
	},
});

export const ingestBatchRoute = createRoute({
	method: "post",
	path: "/ingestion/events/batch",
	summary: "Ingest 1 to 1,000 events; each is accepted, duplicate, rejected or rate_limited",
	operationId: "ingestEventBatch",
	tags: ["Ingestion"],
	description: "Each item is decided on its own: valid events are kept even when others are rejected, and retrying the same batch is safe. The body is at most 5 MiB.",
	security: [{ ApiKey: [] }],
	request: { body: { required: true, content: jsonContent(z.object({ events: z.array(EventInput).min(1).max(1000) })) } },
	responses: {
		200: {
			description: "Per-item results",
			headers: rateLimitHeaders,
			content: jsonContent(
				z.object({
					accepted: z.number().int(),
					duplicates: z.number().int(),
					rejected: z.number().int(),
					rate_limited: z.number().int(),
					results: z.array(ItemResult),
				}),
			),
		},
		...errorResponses(400, 401, 403, 413, 415, 422, 429),
	},
});

export const SearchPageSchema = z
	.object({ events: z.array(StoredEvent), next_cursor: z.string().nullable() })
	.openapi("EventSearchPage");

export const searchRoute = createRoute({
	method: "get",
	path: "/ingestion/events/search",
	summary: "Search events, newest first, with cursor pagination",
	operationId: "searchEvents",
	tags: ["Ingestion"],
	description: "Filters combine with AND. A page holds at most `limit` events and at most 4 MiB of JSON; send `next_cursor` back as `cursor` for the next page. Events are searchable once the tenant's object has written them to D1 (about half a second after acceptance).",
	security: readSecurity,
	middleware: [requireRead] as const,
	request: { query: SearchQuery },
	responses: {
		200: {
			description: "A page of events: at most `limit` events and at most 4 MiB of JSON; `next_cursor` is null on the last page",
			content: jsonContent(SearchPageSchema),
		},
		...errorResponses(401, 403, 422),
	},
});

export const getEventRoute = createRoute({
	method: "get",
	path: "/ingestion/events/{event_id}",
	summary: "One event with its received_at",
	operationId: "getEvent",
	tags: ["Ingestion"],
	description: "`payload` and `tags` exactly as sent. An event of another tenant is 404, like an unknown one.",
	security: readSecurity,
	middleware: [requireRead] as const,
	request: { params: z.object({ event_id: z.string() }) },
	responses: { 200: { description: "The event", content: jsonContent(StoredEvent) }, ...errorResponses(401, 403, 404) },
});

export const statsRoute = createRoute({
	method: "get",
	path: "/ingestion/stats",
	summary: "Counters from the tenant's object",
	operationId: "getIngestionStats",
	tags: ["Ingestion"],
	description: "Totals and per-type counts, and the events refused as duplicate, rejected or rate limited, read from the tenant's object (no D1 query).",
	security: readSecurity,
	middleware: [requireRead] as const,
	responses: {
		200: {
			description: "Every event a producer sent is counted somewhere",
			content: jsonContent(
				z
					.object({
						total_events: z.number().int(),
						events_last_minute: z.number().int(),
						events_last_hour: z.number().int(),
						by_type: z.record(z.string(), z.number().int()),
						duplicates: z.number().int(),
						rejected: z.number().int(),
						rate_limited: z.number().int(),
						rate_limit_per_minute: z.number().int(),
						pending_flush: z.number().int().openapi({ description: "Accepted events not yet written to D1" }),
						parked_events: z.number().int().openapi({ description: "Accepted events D1 refused; kept by the tenant object" }),
					})
					.openapi("IngestionStats"),
			),
		},
		...errorResponses(401, 403),
	},
});
