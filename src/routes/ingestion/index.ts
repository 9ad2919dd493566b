import { tenantStub } from "../../lib/auth";
import { cors } from "../../lib/cors";
import { createRouter } from "../../lib/router";
import { ingestBatch, ingestSingle } from "./ingest";
import { getEventRoute, ingestBatchRoute, ingestSingleRoute, searchRoute, statsRoute } from "./ingestion.routes";
import { getEvent, searchEvents } from "./search";

const router = createRouter();
// Browsers may call every ingestion and read route (lib/cors.ts). Registered before the routes so
// preflights and every response pass through it; the specific paths before `:event_id`, which
// also matches them.
router.use("/ingestion/events", cors(["POST"]));
router.use("/ingestion/events/batch", cors(["POST"]));
router.use("/ingestion/events/search", cors(["GET"]));
router.use("/ingestion/events/:event_id", cors(["GET"]));
router.use("/ingestion/stats", cors(["GET"]));
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
