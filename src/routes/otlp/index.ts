import { cors } from "../../lib/cors";
import { createRouter } from "../../lib/router";
import { otlpExport } from "./export";
import { exportLogsRoute, exportTracesRoute } from "./otlp.routes";

const router = createRouter();
// Browser exporters (OTLP/HTTP JSON from a web page, with a publishable ingest-only key) may call them.
router.use("/otlp/v1/traces", cors(["POST"]));
router.use("/otlp/v1/logs", cors(["POST"]));
// Documented from the definitions; the handlers read and answer OTLP themselves (export.ts).
router.openAPIRegistry.registerPath(exportTracesRoute);
router.openAPIRegistry.registerPath(exportLogsRoute);
router.post("/otlp/v1/traces", otlpExport("traces"));
router.post("/otlp/v1/logs", otlpExport("logs"));

export const otlpRoutes = router;
