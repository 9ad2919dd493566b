import { Hono } from "hono";
import { pulsestream } from "../../../sdk/src/hono.js";

type Env = { PS_ENDPOINT: string; PS_KEY: string; PS_SOURCE: string };

const app = new Hono<{ Bindings: Env }>();

// Registered before the middleware, so the test's readiness polling is not reported.
app.get("/ready", (c) => c.text("ready"));

// The key comes from the environment, as a real Worker's secret would. The flush timer is
// pushed out of reach so that the test proves the reports leave through ctx.waitUntil.
app.use(
	pulsestream((c) => ({ apiKey: c.env.PS_KEY, endpoint: c.env.PS_ENDPOINT, source: c.env.PS_SOURCE, flushIntervalMs: 3_600_000 })),
);

app.get("/orders/:id", (c) => c.json({ id: c.req.param("id") }));
app.post("/orders", (c) => c.json({ id: "new" }, 201));
app.get("/boom", () => {
	throw new Error("the handler failed on purpose");
});

export default app;
