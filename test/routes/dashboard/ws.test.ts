import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addUser, bearer, call, errorOf, ingest, ingestBatch, keyHeader, postJson, registerTenant, send, tenantObject } from "../../helpers";
import { created } from "../alerting/alerting-helpers";
import { apiCall, openSocket, subscribed, upgrade } from "./socket-client";

describe("dashboard socket: the edge checks the token", () => {
	it("is 401 without a token or with a bad one, 403 for another tenant, 426 when not an upgrade", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const none = await upgrade(t.tenant.id, null);
		expect(none.status).toBe(401);
		expect((await errorOf(none)).code).toBe("UNAUTHORIZED");
		const bad = await upgrade(t.tenant.id, "not.a.jwt");
		expect(bad.status).toBe(401);
		const forged = await upgrade(t.tenant.id, `${t.access_token.slice(0, -4)}AAAA`);
		expect(forged.status).toBe(401);
		const foreign = await upgrade(t.tenant.id, other.access_token);
		expect(foreign.status).toBe(403);
		expect((await errorOf(foreign)).code).toBe("FORBIDDEN");
		const accepted = await upgrade(t.tenant.id, t.access_token, { Upgrade: "websocket", "Sec-WebSocket-Extensions": "permessage-deflate" });
		expect(accepted.status).toBe(101);
		// Compression is refused (compatibility flag no_web_socket_compression): no extension is negotiated.
		expect(accepted.headers.get("Sec-WebSocket-Extensions")).toBeNull();
		accepted.webSocket!.accept();
		accepted.webSocket!.close();
		const plain = await upgrade(t.tenant.id, t.access_token, {});
		expect(plain.status).toBe(426);
		expect((await errorOf(plain)).code).toBe("UPGRADE_REQUIRED");
		// An API key is not a person: sockets need a user token.
		expect((await upgrade(t.tenant.id, t.api_key.key)).status).toBe(401);
	});

	it("refuses a logged-out token", async () => {
		const t = await registerTenant();
		expect((await send("POST", "/api/v1/auth/logout", t.access_token, { refresh_token: t.refresh_token })).status).toBe(204);
		expect((await upgrade(t.tenant.id, t.access_token)).status).toBe(401);
	});
});

describe("dashboard socket: protocol", () => {
	it("subscribes, unsubscribes and answers ping, message by message", async () => {
		const t = await registerTenant();
		const s = await openSocket(t);
		s.send({ type: "subscribe", channels: ["events", "alerts"] });
		expect(await s.next()).toEqual({ type: "subscribed", channels: ["events", "alerts"], filter: null });
		s.send({ type: "subscribe", channels: ["metrics"], filter: { source: "checkout" } });
		expect(await s.next()).toEqual({ type: "subscribed", channels: ["events", "metrics", "alerts"], filter: { source: "checkout" } });
		s.send({ type: "unsubscribe", channels: ["events", "metrics"] });
		expect(await s.next()).toEqual({ type: "subscribed", channels: ["alerts"], filter: { source: "checkout" } });
		s.send('{"type":"ping"}');
		expect(await s.next()).toEqual({ type: "pong" });
		// Another spelling of ping reaches the object, which answers the same.
		s.send('{ "type": "ping" }');
		expect(await s.next()).toEqual({ type: "pong" });
		s.ws.close(1000, "bye");
	});

	it("answers every bad frame with an error frame and keeps the socket usable", async () => {
		const t = await registerTenant();
		const s = await openSocket(t);
		const cases: [unknown, string][] = [
			["not json", "INVALID_JSON"],
			[new Uint8Array([1, 2, 3]), "UNSUPPORTED_FRAME"],
			[JSON.stringify({ type: "subscribe", channels: ["events"], x: "y".repeat(5000) }), "FRAME_TOO_LARGE"],
			[{ type: "launch_missiles" }, "UNKNOWN_TYPE"],
			[[1, 2], "VALIDATION_ERROR"],
			[{ type: "subscribe", channels: ["events", "logs"] }, "VALIDATION_ERROR"],
			[{ type: "subscribe", channels: [] }, "VALIDATION_ERROR"],
			[{ type: "subscribe", channels: ["events"], filter: { status_class: "9xx" } }, "VALIDATION_ERROR"],
			[{ type: "subscribe", channels: ["events"], filter: { country: "fr" } }, "VALIDATION_ERROR"],
			[{ type: "subscribe", channels: ["events"], filter: { endpoint: "x".repeat(600) } }, "VALIDATION_ERROR"],
			[{ type: "get_data", data_type: "everything" }, "VALIDATION_ERROR"],
			[{ type: "get_data", data_type: "overview", window: "7m" }, "VALIDATION_ERROR"],
		];
		for (const [frame, code] of cases) {
			if (frame instanceof Uint8Array) s.ws.send(frame);
			else s.send(frame);
			const err = await s.next();
			expect(err.type, JSON.stringify(frame).slice(0, 80)).toBe("error");
			expect(err.code, JSON.stringify(frame).slice(0, 80)).toBe(code);
			expect(typeof err.message).toBe("string");
		}
		const unknownChannel = s.frames.find((f) => f.type === "error" && String(f.message).includes("channel"));
		expect(unknownChannel?.message).toMatch(/events, metrics, alerts/);
		// Nothing was subscribed by the bad frames; the socket still works.
		s.send({ type: "subscribe", channels: ["events"] });
		expect(await s.next()).toMatchObject({ type: "subscribed", channels: ["events"] });
		s.ws.close();
	});

	it("rate-limits get_data per socket, not per tenant", async () => {
		const t = await registerTenant();
		const a = await openSocket(t);
		const b = await openSocket(t);
		for (let i = 0; i < 8; i++) a.send({ type: "get_data", data_type: "alerts_summary" });
		const answers = [];
		for (let i = 0; i < 8; i++) answers.push(await a.next());
		expect(answers.filter((f) => f.type === "data")).toHaveLength(5);
		const limited = answers.filter((f) => f.type === "error");
		expect(limited).toHaveLength(3);
		expect(limited[0]).toMatchObject({ code: "RATE_LIMITED", retry_after: 1 });
		b.send({ type: "get_data", data_type: "alerts_summary" });
		expect(await b.next()).toMatchObject({ type: "data", data_type: "alerts_summary" });
		a.ws.close();
		b.ws.close();
	});
});

describe("dashboard socket: fan-out", () => {
	it("sends an accepted event within a second, a batch in one frame", async () => {
		const t = await registerTenant();
		const s = await subscribed(t, ["events"]);
		const sent = Date.now();
		expect((await ingest(t, apiCall({ event_id: "one", payload: { order: 7 } }))).status).toBe(202);
		const frame = await s.next("events", 1_000);
		expect(Date.now() - sent).toBeLessThan(1_000);
		expect(frame.dropped).toBeUndefined();
		const [ev] = frame.data as Record<string, unknown>[];
		expect(ev).toMatchObject({ event_id: "one", event_type: "api_call", endpoint: "/v1/orders", status_code: 200, payload: { order: 7 } });
		expect(typeof ev!.received_at).toBe("string");

		const batch = Array.from({ length: 20 }, (_, i) => apiCall({ event_id: `b-${i}` }));
		expect((await ingestBatch(t, batch)).status).toBe(200);
		const one = await s.next("events");
		expect((one.data as { event_id: string }[]).map((e) => e.event_id)).toEqual(batch.map((e) => e.event_id));
		// Duplicates and rate-limited events were not accepted: nothing to send.
		expect((await ingest(t, apiCall({ event_id: "one" }))).status).toBe(200);
		await new Promise((r) => setTimeout(r, 300));
		expect(s.frames.filter((f) => f.type === "events")).toHaveLength(2);
		s.ws.close();
	});

	it("filters per socket", async () => {
		const t = await registerTenant();
		const all = await subscribed(t, ["events"]);
		const errors = await subscribed(t, ["events"], { status_class: "5xx" });
		const search = await subscribed(t, ["events"], { source: "search", event_type: "api_call" });
		const none = await subscribed(t, ["alerts"]);
		await ingestBatch(t, [
			apiCall({ event_id: "ok" }),
			apiCall({ event_id: "boom", status_code: 503 }),
			apiCall({ event_id: "q", source: "search" }),
			{ event_type: "error", source: "search", event_id: "err" },
		]);
		const ids = async (s: Awaited<ReturnType<typeof subscribed>>) =>
			((await s.next("events")).data as { event_id: string }[]).map((e) => e.event_id);
		expect(await ids(all)).toEqual(["ok", "boom", "q", "err"]);
		expect(await ids(errors)).toEqual(["boom"]);
		expect(await ids(search)).toEqual(["q"]);
		await new Promise((r) => setTimeout(r, 300));
		expect(none.frames.filter((f) => f.type === "events")).toHaveLength(0);
		for (const s of [all, errors, search, none]) s.ws.close();
	});

	it("caps a frame and counts what it dropped, oldest first; other sockets are not held up", async () => {
		const t = await registerTenant();
		const flooded = await subscribed(t, ["events"]);
		const quiet = await subscribed(t, ["events"], { source: "quiet" });
		const flood = Array.from({ length: 999 }, (_, i) => apiCall({ event_id: `f-${i}` }));
		flood.push(apiCall({ event_id: "q-1", source: "quiet" }));
		expect((await ingestBatch(t, flood)).status).toBe(200);
		const frame = await flooded.next("events");
		const got = (frame.data as { event_id: string }[]).map((e) => e.event_id);
		expect(got).toHaveLength(100);
		// The newest are kept: the tail of the batch.
		expect(got.at(-1)).toBe("q-1");
		expect(got[0]).toBe("f-900");
		expect(frame.dropped).toBe(900);
		expect((await quiet.next("events")).data).toHaveLength(1);
		flooded.ws.close();
		quiet.ws.close();
	});

	it("strips the payload of a huge event from live frames", async () => {
		const t = await registerTenant();
		const s = await subscribed(t, ["events"]);
		await ingest(t, apiCall({ event_id: "big", payload: { blob: "x".repeat(100_000) } }));
		const [ev] = (await s.next("events")).data as Record<string, unknown>[];
		expect(ev).toMatchObject({ event_id: "big", payload: null, truncated: true });
		s.ws.close();
	});

	it("keeps subscriptions and filters through hibernation", async () => {
		const t = await registerTenant();
		const s = await subscribed(t, ["events", "alerts"], { endpoint: "/v1/pay" });
		const stub = tenantObject(t.tenant.id);
		await evictDurableObject(stub, { webSockets: "hibernate" });
		// The heartbeat is answered while the object sleeps.
		s.send('{"type":"ping"}');
		expect(await s.next()).toEqual({ type: "pong" });
		await ingestBatch(t, [apiCall({ event_id: "other" }), apiCall({ event_id: "pay", endpoint: "/v1/pay" })]);
		const frame = await s.next("events");
		expect((frame.data as { event_id: string }[]).map((e) => e.event_id)).toEqual(["pay"]);
		const stats = await call("/api/v1/dashboard/connections/stats", { headers: keyHeader(t) });
		expect(await stats.json()).toEqual({ connections: 1, subscriptions: { events: 1, metrics: 0, alerts: 1 } });
		s.ws.close();
	});
});

describe("dashboard socket: lifecycle", () => {
	it("closes a socket whose session ends: logout, password change, deactivation", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		const mine = await openSocket(t);
		const second = await postJson("/api/v1/auth/login", { tenant: t.tenant.slug, email: t.user.email, password: "correct horse battery" });
		const other = await second.json<{ access_token: string; refresh_token: string }>();
		const otherSession = await openSocket(t, other.access_token);
		const viewers = await openSocket(t, viewer.access_token);

		// Logout ends only that session's socket.
		expect((await send("POST", "/api/v1/auth/logout", other.access_token, { refresh_token: other.refresh_token })).status).toBe(204);
		expect(await otherSession.closed).toEqual({ code: 4001, reason: "session ended: sign in again" });
		mine.send('{"type":"ping"}');
		expect(await mine.next()).toEqual({ type: "pong" });

		// Deactivation ends every socket of the user.
		expect((await send("PATCH", `/api/v1/auth/users/${viewer.id}`, t.access_token, { is_active: false })).status).toBe(200);
		expect((await viewers.closed).code).toBe(4001);

		// A password change keeps the caller's own session (and socket) but ends the others.
		const third = await (
			await postJson("/api/v1/auth/login", { tenant: t.tenant.slug, email: t.user.email, password: "correct horse battery" })
		).json<{ access_token: string }>();
		const thirdSocket = await openSocket(t, third.access_token);
		expect(
			(await send("POST", "/api/v1/auth/change-password", t.access_token, { current_password: "correct horse battery", new_password: "a new long password" }))
				.status,
		).toBe(204);
		expect((await thirdSocket.closed).code).toBe(4001);
		mine.send('{"type":"ping"}');
		expect(await mine.next()).toEqual({ type: "pong" });
		mine.ws.close();
	});

	it("refuses upgrades past the tenant's socket limit with a clear error, per tenant", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const open = [];
		for (let i = 0; i < 8; i++) open.push(await openSocket(t));
		const refused = await upgrade(t.tenant.id, t.access_token);
		expect(refused.status).toBe(429);
		expect(refused.headers.get("Retry-After")).toBe("30");
		const err = await errorOf(refused);
		expect(err.code).toBe("CONNECTION_LIMIT");
		expect(err.message).toMatch(/8 open dashboard sockets/);
		// Another tenant is not affected, and a closed socket frees its place.
		const theirs = await openSocket(other);
		open[0]!.ws.close(1000);
		await open[0]!.closed;
		let reopened = null;
		for (let i = 0; i < 50 && !reopened; i++) {
			const res = await upgrade(t.tenant.id, t.access_token);
			if (res.status === 101) {
				res.webSocket!.accept();
				reopened = res.webSocket;
			} else await new Promise((r) => setTimeout(r, 20));
		}
		expect(reopened).not.toBeNull();
		for (const s of open) s.ws.close();
		reopened!.close();
		theirs.ws.close();
	});

	it("counts connections and subscriptions per tenant, with a user token or an API key", async () => {
		const t = await registerTenant();
		const other = await registerTenant();
		const a = await subscribed(t, ["events", "metrics"]);
		const b = await subscribed(t, ["alerts"]);
		await openSocket(other);
		const byUser = await call("/api/v1/dashboard/connections/stats", { headers: bearer(t.access_token) });
		expect(byUser.status).toBe(200);
		expect(await byUser.json()).toEqual({ connections: 2, subscriptions: { events: 1, metrics: 1, alerts: 1 } });
		expect((await call("/api/v1/dashboard/connections/stats")).status).toBe(401);
		a.ws.close();
		b.ws.close();
	});
});

describe("dashboard socket: alerts and metrics", () => {
	it("sends an alert frame on every state change: triggered, acknowledged, resolved", async () => {
		const t = await registerTenant();
		const s = await subscribed(t, ["alerts"]);
		const events = await subscribed(t, ["events"]);
		const rule = await created(t, "/rules", {
			name: "Any error",
			severity: "critical",
			condition: { metric: "error_count", operator: "gt", threshold: 0, window_seconds: 60 },
		});
		await ingest(t, { event_type: "error", event_id: "e-1", source: "checkout" });
		const fired = await s.next("alert", 5_000);
		expect(fired.data).toMatchObject({ rule_id: rule.id, rule_name: "Any error", status: "active", severity: "critical" });
		const id = (fired.data as { id: string }).id;
		expect((await send("POST", `/api/v1/alerting/alerts/${id}/acknowledge`, t.access_token)).status).toBe(200);
		expect((await s.next("alert")).data).toMatchObject({ id, status: "acknowledged", acknowledged_by: t.user.email });
		expect((await send("POST", `/api/v1/alerting/alerts/${id}/resolve`, t.access_token)).status).toBe(200);
		expect((await s.next("alert")).data).toMatchObject({ id, status: "resolved" });
		// Only subscribers of alerts get them.
		expect(events.frames.some((f) => f.type === "alert")).toBe(false);
		s.ws.close();
		events.ws.close();
	});

	it("sends metrics frames to metrics subscribers after events arrive, at most every two seconds", async () => {
		const t = await registerTenant();
		const s = await subscribed(t, ["metrics"]);
		await ingestBatch(t, [apiCall({ response_time_ms: 10 }), apiCall({ status_code: 500, response_time_ms: 30 })]);
		const first = await s.next("metrics");
		expect(first.data).toMatchObject({ total_events: 2, error_rate: 0.5 });
		await ingest(t, apiCall());
		await ingest(t, apiCall());
		const second = await s.next("metrics", 3_000);
		expect(second.data).toMatchObject({ total_events: 4 });
		expect(s.frames.filter((f) => f.type === "metrics")).toHaveLength(2);
		s.ws.close();
	});
});

describe("dashboard socket: get_data", () => {
	it("answers each data type with the body of its REST route", async () => {
		const t = await registerTenant();
		await ingestBatch(t, [apiCall({ event_id: "g-1" }), apiCall({ event_id: "g-2", status_code: 500 })]);
		const s = await openSocket(t);
		const ask = async (frame: Record<string, unknown>) => {
			s.send({ type: "get_data", ...frame });
			const answer = await s.next("data");
			expect(answer.data_type).toBe(frame.data_type);
			return answer.data as Record<string, unknown>;
		};
		const rest = async (path: string) => (await call(`/api/v1/dashboard/${path}`, { headers: keyHeader(t) })).json();
		const overview = await ask({ data_type: "overview", window: "15m" });
		expect(overview).toMatchObject({ window: "15m", total_events: 2, error_rate: 0.5 });
		expect(overview).toEqual(await rest("overview?window=15m"));
		expect(await ask({ data_type: "recent_events", limit: 1 })).toEqual(await rest("events/stream?limit=1"));
		expect(await ask({ data_type: "alerts_summary" })).toEqual(await rest("alerts/summary"));
		const metrics = await ask({ data_type: "metrics", window: "5m" });
		expect(metrics).toEqual(await rest("metrics/real-time?window=5m&bucket=60"));
		expect((metrics.series as unknown[]).length).toBeGreaterThanOrEqual(5);
		s.ws.close();
	});
});
