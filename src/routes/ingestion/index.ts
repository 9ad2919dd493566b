import { tenantStub } from "../../lib/auth";
import { createRouter } from "../../lib/router";
import { ingestBatch, ingestSingle } from "./ingest";
import { getEventRoute, ingestBatchRoute, ingestSingleRoute, searchRoute, statsRoute } from "./ingestion.routes";
import { getEvent, searchEvents } from "./search";

const router = createRouter();
router.openAPIRegistry.registerPath(ingestSingleRoute);
router.openAPIRegistry.registerPath(ingestBatchRoute);

router.post("/ingestion/events", ingestSingle);
router.post("/ingestion/events/batch", ingestBatch);

export const ingestionRoutes = router
	// The page is built as JSON text, measured byte for byte against its 4 MiB bound
	// (search-page.ts); cast, since Hono types only c.json's bodies (SearchPageSchema is its shape).
	.openapi(searchRoute, async (c) => {
		const text = await searchEvents(c.env, c.get("principal").tenantId, c.req.valid("query"));
		return c.body(text, 200, { "Content-Type": "application/json" }) as never;
	})
	.openapi(statsRoute, async (c) => {
		const tenantId = c.get("principal").tenantId;
		return c.json(await tenantStub(c.env, tenantId).stats(tenantId), 200);
	})
	.openapi(getEventRoute, async (c) =>
		c.json(await getEvent(c.env, c.get("principal").tenantId, c.req.valid("param").event_id), 200),
	);
