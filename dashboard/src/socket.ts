import { Signal } from "./signal";
import type { TailFilter } from "./types";

/**
 * The dashboard WebSocket (API.md, Live dashboard): one socket per tab to
 * /api/v1/dashboard/ws/<tenant>?token=<access token>, subscribed to events,
 * metrics and alerts. A heartbeat every 30 s (the exact text the server
 * answers without waking the tenant's object), and after a dropped socket a
 * reconnect with exponential backoff and jitter, each time with a fresh token.
 */
export type ConnectionState =
	| { kind: "idle" }
	| { kind: "connecting" }
	| { kind: "live" }
	| { kind: "reconnecting"; at: number }
	| { kind: "offline" };

export type ServerFrame =
	| { type: "subscribed"; channels: string[] }
	| { type: "events"; data: unknown[]; dropped?: number }
	| { type: "metrics"; data: Record<string, unknown> }
	| { type: "alert"; data: Record<string, unknown> }
	| { type: "data"; data_type: string; data: unknown }
	| { type: "pong" }
	| { type: "error"; code: string; message: string };

export const PING = '{"type":"ping"}';
const HEARTBEAT_MS = 30_000;
/** No frame at all (not even a pong) for this long: the connection is dead even if the socket does not know. */
const SILENCE_MS = 75_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** A connection that stayed up this long resets the backoff. */
const STABLE_MS = 10_000;
const CHANNELS = ["events", "metrics", "alerts"] as const;

/** Close codes after which reconnecting is pointless: the session ended, or the tenant is not the user's. */
export const SESSION_ENDED = 4001;
export const FORBIDDEN = 4003;

/** Full jitter over an exponential ceiling: attempt 0 waits up to 1 s, then 2, 4 … 30 s. */
export function backoff(attempt: number, random = Math.random): number {
	const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

type Options = {
	tenantId: () => string | null;
	token: () => Promise<string | null>;
	onFrame: (frame: ServerFrame) => void;
	/** The server ended the session (4001) or refused the tenant (4003). */
	onRefused: (code: number) => void;
	/** A connection attempt failed before opening: lets the caller check the session (a refused upgrade gives the page no status). */
	onUpgradeFailed: () => Promise<void>;
};

export class LiveSocket {
	readonly state = new Signal<ConnectionState>({ kind: "idle" });
	private ws: WebSocket | null = null;
	private attempt = 0;
	private retryTimer: ReturnType<typeof setTimeout> | undefined;
	private heartbeat: ReturnType<typeof setInterval> | undefined;
	private stableTimer: ReturnType<typeof setTimeout> | undefined;
	private lastFrameAt = 0;
	private running = false;
	private filter: TailFilter = {};

	constructor(private readonly opts: Options) {
		window.addEventListener("online", () => this.running && this.reconnectNow());
		window.addEventListener("offline", () => this.running && this.drop("offline"));
	}

	start(): void {
		if (this.running) return;
		this.running = true;
		this.attempt = 0;
		void this.connect();
	}

	stop(): void {
		this.running = false;
		clearTimeout(this.retryTimer);
		this.teardown(1000, "signed out");
		this.state.set({ kind: "idle" });
	}

	/** Changes the events filter; sent at once when connected, and on every reconnect. */
	setFilter(filter: TailFilter): void {
		this.filter = filter;
		this.send({ type: "subscribe", channels: ["events"], filter });
	}

	/** Sends a frame when connected; false otherwise. */
	send(frame: unknown): boolean {
		if (this.ws?.readyState !== WebSocket.OPEN) return false;
		this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
		return true;
	}

	private reconnectNow(): void {
		clearTimeout(this.retryTimer);
		this.attempt = 0;
		if (!this.ws) void this.connect();
	}

	private async connect(): Promise<void> {
		if (!this.running) return;
		if (!navigator.onLine) {
			this.state.set({ kind: "offline" });
			return;
		}
		this.state.set({ kind: "connecting" });
		let token: string | null = null;
		try {
			token = await this.opts.token();
		} catch {
			// The refresh could not reach the server: a network problem, retried like one.
		}
		const tenantId = this.opts.tenantId();
		if (!this.running) return;
		if (!token || !tenantId) return this.retry();
		const url = `${location.origin.replace(/^http/, "ws")}/api/v1/dashboard/ws/${encodeURIComponent(tenantId)}?token=${encodeURIComponent(token)}`;
		let opened = false;
		const ws = new WebSocket(url);
		this.ws = ws;
		ws.addEventListener("open", () => {
			opened = true;
			this.lastFrameAt = Date.now();
			ws.send(JSON.stringify({ type: "subscribe", channels: CHANNELS, filter: this.filter }));
			this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
			this.stableTimer = setTimeout(() => (this.attempt = 0), STABLE_MS);
		});
		ws.addEventListener("message", (e: MessageEvent) => {
			this.lastFrameAt = Date.now();
			if (typeof e.data !== "string") return;
			let frame: ServerFrame;
			try {
				frame = JSON.parse(e.data) as ServerFrame;
			} catch {
				return;
			}
			if (frame.type === "subscribed") this.state.set({ kind: "live" });
			this.opts.onFrame(frame);
		});
		ws.addEventListener("close", (e: CloseEvent) => {
			if (this.ws !== ws) return;
			this.clearTimers();
			this.ws = null;
			if (!this.running) return;
			if (e.code === SESSION_ENDED || e.code === FORBIDDEN) {
				this.running = false;
				this.state.set({ kind: "idle" });
				this.opts.onRefused(e.code);
				return;
			}
			if (!opened) {
				// An upgrade refused with 401/403 looks like any failure here: let the caller look.
				this.opts.onUpgradeFailed().finally(() => this.running && this.retry());
				return;
			}
			this.retry();
		});
	}

	private beat(): void {
		if (Date.now() - this.lastFrameAt > SILENCE_MS) {
			this.drop("silent");
			return;
		}
		this.send(PING);
	}

	/** Closes a connection that is no use any more and schedules the next. */
	private drop(reason: string): void {
		this.teardown(4000, reason);
		if (reason === "offline") {
			clearTimeout(this.retryTimer);
			this.state.set({ kind: "offline" });
		} else this.retry();
	}

	private retry(): void {
		if (!this.running) return;
		clearTimeout(this.retryTimer);
		const wait = backoff(this.attempt++);
		this.state.set({ kind: "reconnecting", at: Date.now() + wait });
		this.retryTimer = setTimeout(() => void this.connect(), wait);
	}

	private clearTimers(): void {
		clearInterval(this.heartbeat);
		clearTimeout(this.stableTimer);
	}

	private teardown(code: number, reason: string): void {
		this.clearTimers();
		const ws = this.ws;
		this.ws = null;
		if (ws && ws.readyState <= WebSocket.OPEN) {
			try {
				ws.close(code, reason);
			} catch {}
		}
	}
}
