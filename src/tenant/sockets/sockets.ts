import type { AlertView } from "../../alerting/types";
import { log } from "../../lib/log";
import { WINDOWS } from "../dashboard";
import type { IncomingEvent } from "../types";
import { type Attachment, GET_DATA_BURST, GET_DATA_PER_SECOND, read, sessionTag, takeGetData, userTag, write } from "./attachment";
import { FLUSH_EVERY_MS, Pending, eventsFrame, filterKey, presenter } from "./fan-out";
import {
	CHANNELS,
	CLOSE,
	type Channel,
	type ClientMessage,
	PONG,
	errorFrame,
	parseClientFrame,
} from "./protocol";

/** Sockets per tenant unless MAX_SOCKETS_PER_TENANT says otherwise. */
export const DEFAULT_MAX_SOCKETS = 1_000;
/** A `metrics` frame at most this often, and only after events arrived. */
export const METRICS_EVERY_MS = 2_000;

/** Who opens a socket: decided at the edge from the access token (and its D1 session). */
export type SocketIdentity = { userId: string; sessionId: string; role: string };

/** What sockets read of the object for get_data and the metrics channel: the dashboard REST bodies. */
export type SocketViews = {
	overview(minutes: number): Promise<unknown>;
	alertsSummary(): Promise<unknown>;
	recentEvents(limit: number): Promise<unknown>;
	metrics(minutes: number): Promise<unknown>;
	/** The `metrics` channel's frame data. */
	live(): Promise<unknown>;
};

export type ConnectionStats = { connections: number; subscriptions: Record<Channel, number> };

/**
 * The tenant's dashboard sockets, accepted with the Hibernation API: a
 * socket's user, subscriptions and filter live in its attachment, so the
 * object may sleep while sockets stay open, and the platform answers the
 * heartbeat without waking it. In memory there is only a cache of the
 * attachments (rebuilt from the sockets after a wake-up) and the events of
 * the next flush.
 *
 * Fan-out runs after an ingestion committed: accepted events gather for
 * FLUSH_EVERY_MS, then each socket subscribed to `events` gets at most one
 * frame with at most MAX_EVENTS_PER_FRAME of its matching events (newest
 * kept, the rest counted in `dropped`). Frames are built once per distinct
 * filter and sent to each socket of that filter. workerd has no
 * backpressure, so this cap is what bounds what a slow socket can queue.
 */
export class Sockets {
	private cache: Map<WebSocket, Attachment> | null = null;
	/** Subscriptions per channel, kept with the cache: ingestion asks on every request. */
	private subscriptions: Record<Channel, number> | null = null;
	private readonly pending = new Pending();
	private timer: ReturnType<typeof setTimeout> | null = null;
	private timerAt = 0;
	private metricsDirty = false;
	private metricsAt = 0;

	constructor(
		private readonly ctx: DurableObjectState,
		private readonly views: SocketViews,
		private readonly maxSockets: number,
		private readonly now: () => number = () => Date.now(),
	) {}

	/** Accepts an upgrade from the edge; 429 past the tenant's socket limit. */
	accept(who: SocketIdentity): Response {
		if (this.ctx.getWebSockets().length >= this.maxSockets) {
			return Response.json({ limit: this.maxSockets }, { status: 429 });
		}
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server, [sessionTag(who.sessionId), userTag(who.userId)]);
		const now = this.now();
		const a: Attachment = { u: who.userId, s: who.sessionId, r: who.role, at: now, c: [], f: null, gt: GET_DATA_BURST, gl: now };
		write(server, a);
		this.all().set(server, a);
		this.subscriptions = null;
		return new Response(null, { status: 101, webSocket: client });
	}

	/** One client frame; a bad one is answered with an `error` frame and changes nothing. */
	async message(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
		const parsed = parseClientFrame(raw);
		if (!parsed.ok) return send(ws, parsed.error);
		const a = this.all().get(ws);
		if (!a) {
			ws.close(CLOSE.GOING_AWAY.code, CLOSE.GOING_AWAY.reason);
			return;
		}
		const msg = parsed.msg;
		switch (msg.type) {
			case "ping":
				// The auto-response answers the exact text; this is any other spelling of it.
				return send(ws, PONG);
			case "subscribe":
				a.c = CHANNELS.filter((c) => a.c.includes(c) || msg.channels.includes(c));
				if (msg.filter !== undefined) a.f = msg.filter && Object.keys(msg.filter).length > 0 ? msg.filter : null;
				write(ws, a);
				this.subscriptions = null;
				return send(ws, JSON.stringify({ type: "subscribed", channels: a.c, filter: a.f }));
			case "unsubscribe":
				a.c = a.c.filter((c) => !msg.channels.includes(c));
				write(ws, a);
				this.subscriptions = null;
				return send(ws, JSON.stringify({ type: "subscribed", channels: a.c, filter: a.f }));
			case "get_data":
				return this.getData(ws, a, msg);
		}
	}

	private async getData(ws: WebSocket, a: Attachment, msg: Extract<ClientMessage, { type: "get_data" }>): Promise<void> {
		const allowed = takeGetData(a, this.now());
		write(ws, a);
		if (!allowed.ok) {
			return send(
				ws,
				errorFrame(
					"RATE_LIMITED",
					`Too many get_data requests; at most ${GET_DATA_BURST} at once and ${GET_DATA_PER_SECOND} a second. Retry in ${allowed.retryAfter} s.`,
					{ retry_after: allowed.retryAfter },
				),
			);
		}
		const window = msg.window ?? "1h";
		const minutes = WINDOWS[window];
		// Each is the body of its REST route (overview and metrics echo the window, as the routes do).
		const answer: Record<typeof msg.data_type, () => Promise<unknown>> = {
			overview: async () => ({ window, ...((await this.views.overview(minutes)) as object) }),
			alerts_summary: () => this.views.alertsSummary(),
			recent_events: () => this.views.recentEvents(msg.limit ?? 50),
			metrics: async () => ({ window, ...((await this.views.metrics(minutes)) as object) }),
		};
		try {
			send(ws, JSON.stringify({ type: "data", data_type: msg.data_type, data: await answer[msg.data_type]() }));
		} catch (err) {
			log("error", "dashboard socket get_data failed", { data_type: msg.data_type, error: String(err) });
			send(ws, errorFrame("INTERNAL", "Could not read the data; try again."));
		}
	}

	/** The platform's close and error handlers: forget the socket (and complete the close handshake). */
	closed(ws: WebSocket, code: number, reason: string): void {
		this.forget(ws);
		try {
			// 1005 and 1006 describe a close without a code; they cannot be sent back.
			ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
		} catch {
			// Already closed.
		}
	}

	errored(ws: WebSocket): void {
		this.forget(ws);
	}

	private forget(ws: WebSocket): void {
		if (this.cache?.delete(ws)) this.subscriptions = null;
	}

	/**
	 * Accepted events of a committed ingestion. Costs nothing without
	 * subscribers; otherwise the events wait (bounded) for the next flush.
	 */
	publish(accepted: IncomingEvent[]): void {
		if (accepted.length === 0) return;
		const counts = this.counts();
		if (counts.events > 0) this.pending.add(accepted);
		if (counts.metrics > 0) this.metricsDirty = true;
		if (counts.events > 0 || counts.metrics > 0) this.schedule(FLUSH_EVERY_MS);
	}

	/** An `alert` frame for each changed alert to every socket subscribed to `alerts`. */
	alertsChanged(alerts: AlertView[]): void {
		if (alerts.length === 0 || this.counts().alerts === 0) return;
		const frames = alerts.map((alert) => JSON.stringify({ type: "alert", data: alert }));
		for (const [ws, a] of this.all()) {
			if (!a.c.includes("alerts")) continue;
			for (const frame of frames) send(ws, frame);
		}
	}

	/**
	 * Closes the sockets of ended sessions: one session (`only`, a logout)
	 * or every session of the user but `keep` (password change, reset,
	 * deactivation). Returns how many were closed.
	 */
	endSessions(userId: string, opts: { only?: string; keep?: string } = {}): number {
		const sockets = this.ctx.getWebSockets(opts.only ? sessionTag(opts.only) : userTag(userId));
		let closed = 0;
		for (const ws of sockets) {
			const a = this.all().get(ws);
			if (!a || a.u !== userId || (opts.keep && a.s === opts.keep)) continue;
			this.forget(ws);
			try {
				ws.close(CLOSE.SESSION_ENDED.code, CLOSE.SESSION_ENDED.reason);
			} catch {
				// Already closing.
			}
			closed++;
		}
		return closed;
	}

	/** Closes every socket of the tenant (an operator suspended it). Returns how many were closed. */
	closeAll(): number {
		let closed = 0;
		for (const ws of this.ctx.getWebSockets()) {
			this.forget(ws);
			try {
				ws.close(CLOSE.SUSPENDED.code, CLOSE.SUSPENDED.reason);
			} catch {
				// Already closing.
			}
			closed++;
		}
		return closed;
	}

	stats(): ConnectionStats {
		return { connections: this.ctx.getWebSockets().length, subscriptions: { ...this.counts() } };
	}

	private counts(): Record<Channel, number> {
		if (!this.subscriptions) {
			this.subscriptions = { events: 0, metrics: 0, alerts: 0 };
			for (const a of this.all().values()) for (const c of a.c) this.subscriptions[c]++;
		}
		return this.subscriptions;
	}

	/** Every open socket's attachment; after a wake-up read once from the sockets themselves. */
	private all(): Map<WebSocket, Attachment> {
		if (!this.cache) {
			this.cache = new Map();
			for (const ws of this.ctx.getWebSockets()) {
				const a = read(ws);
				if (a) this.cache.set(ws, a);
			}
		}
		return this.cache;
	}

	private schedule(delay: number): void {
		const at = this.now() + delay;
		if (this.timer && this.timerAt <= at) return;
		if (this.timer) clearTimeout(this.timer);
		this.timerAt = at;
		this.timer = setTimeout(() => {
			this.timer = null;
			void this.flush().catch((err) => log("error", "dashboard socket flush failed", { error: String(err) }));
		}, delay);
	}

	/** One flush: an `events` frame per subscribed socket, and a `metrics` frame when one is due. */
	async flush(): Promise<void> {
		const taken = this.pending.take();
		if (taken.events.length > 0 || taken.lost > 0) {
			const groups = new Map<string, { filter: Attachment["f"]; sockets: WebSocket[] }>();
			for (const [ws, a] of this.all()) {
				if (!a.c.includes("events")) continue;
				const key = filterKey(a.f);
				let g = groups.get(key);
				if (!g) groups.set(key, (g = { filter: a.f, sockets: [] }));
				g.sockets.push(ws);
			}
			const present = presenter();
			for (const g of groups.values()) {
				const frame = eventsFrame(g.filter, taken, present);
				if (frame) for (const ws of g.sockets) send(ws, frame);
			}
		}
		if (!this.metricsDirty) return;
		const wait = this.metricsAt + METRICS_EVERY_MS - this.now();
		if (wait > 0) return this.schedule(wait);
		this.metricsDirty = false;
		this.metricsAt = this.now();
		const subscribers = [...this.all()].filter(([, a]) => a.c.includes("metrics"));
		if (subscribers.length === 0) return;
		const frame = JSON.stringify({ type: "metrics", data: await this.views.live() });
		for (const [ws] of subscribers) send(ws, frame);
	}
}

/** A send to a socket that is closing throws; one dead socket must not stop the others. */
function send(ws: WebSocket, frame: string): void {
	try {
		ws.send(frame);
	} catch {
		// Closed or closing: its close handler forgets it.
	}
}

