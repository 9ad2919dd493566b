import { tenantStub } from "../../lib/auth";
import { cors } from "../../lib/cors";
import { createRouter } from "../../lib/router";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "./exposition";
import { getPrometheusMetrics } from "./metrics.routes";

const router = createRouter();
// A read route: browsers may call it like the others (lib/cors.ts), registered before the route.
router.use("/metrics", cors(["GET"]));

/** GET /api/v1/metrics: one RPC to the tenant's object, rendered here as text. */
export const metricsRoutes = router.openapi(getPrometheusMetrics, async (c) => {
	const tenantId = c.get("principal").tenantId;
	const text = renderExposition(await tenantStub(c.env, tenantId).prometheus(tenantId));
	// Cast, since Hono types only c.json's bodies (the route documents the text).
	return c.body(text, 200, { "Content-Type": EXPOSITION_CONTENT_TYPE }) as never;
});
