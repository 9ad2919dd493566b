import { Hono } from "hono";

// The baseline for `npm run bench`: a Hono Worker on the same wrangler that
// only parses the JSON body and answers, with no auth, storage or validation.
const app = new Hono();

app.post("/api/v1/ingestion/events", async (c) => {
	const body = await c.req.json<{ event_id?: string }>();
	return c.json({ event_id: body.event_id ?? null, status: "accepted" }, 202);
});

app.post("/api/v1/ingestion/events/batch", async (c) => {
	const body = await c.req.json<{ events: unknown[] }>();
	return c.json({ accepted: body.events.length }, 200);
});

app.get("/", (c) => c.text("ok"));

export default app;
