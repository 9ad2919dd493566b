import { ApiError, get } from "./api";
import * as auth from "./auth";
import { Signal } from "./signal";
import { LiveSocket, type ServerFrame } from "./socket";
import type { Alert, LiveEvent, Tenant, TailFilter } from "./types";

/**
 * The live side of the page, shared by every view: the one WebSocket, the
 * tail's event buffer, and the latest metrics and alert frames. Started when
 * a session begins and stopped when it ends.
 */

/** The live tail keeps at most this many events (and so rows in the page). */
export const MAX_EVENTS = 200;
const BACKFILL = 50;

type EventListener = (change: { added: LiveEvent[] } | { reset: true }) => void;

/** The newest events first, at most MAX_EVENTS, each once. */
class EventBuffer {
	items: LiveEvent[] = [];
	private ids = new Set<string>();
	private listeners = new Set<EventListener>();

	/** New events from the socket (oldest first in a frame, as the server sends them). */
	push(frameEvents: LiveEvent[]): void {
		const added = frameEvents.filter((e) => e?.event_id && !this.ids.has(e.event_id)).reverse();
		if (!added.length) return;
		for (const e of added) this.ids.add(e.event_id);
		this.items = [...added, ...this.items];
		this.trim();
		this.emit({ added });
	}

	/** Events from the REST stream (newest first), merged with what is here, in time order. */
	merge(events: LiveEvent[]): void {
		const fresh = events.filter((e) => e?.event_id && !this.ids.has(e.event_id));
		if (!fresh.length) return;
		for (const e of fresh) this.ids.add(e.event_id);
		this.items = [...this.items, ...fresh].sort((a, b) => order(b) - order(a));
		this.trim();
		this.emit({ reset: true });
	}

	clear(): void {
		this.items = [];
		this.ids.clear();
		this.emit({ reset: true });
	}

	subscribe(listener: EventListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private trim(): void {
		for (const gone of this.items.splice(MAX_EVENTS)) this.ids.delete(gone.event_id);
	}

	private emit(change: Parameters<EventListener>[0]): void {
		for (const listener of [...this.listeners]) listener(change);
	}
}

const order = (e: LiveEvent) => Date.parse(e.received_at ?? e.timestamp ?? "") || 0;

export const events = new EventBuffer();
/** Events the server dropped for this socket (it could not keep up), since the filter last changed. */
export const dropped = new Signal(0);
export const filter = new Signal<TailFilter>({});
/** The latest `metrics` frame's data. */
export const metrics = new Signal<Record<string, unknown> | null>(null);
/** Every `alert` frame, as it comes. */
export const alertFrames = new Signal<Alert | null>(null);
/** The latest server `error` frame, shown to the person. */
export const socketError = new Signal<string | null>(null);

/** The same filter the server applies, for the REST backfill (which is not filtered). */
export function matches(f: TailFilter, e: LiveEvent): boolean {
	if (f.event_type && e.event_type !== f.event_type) return false;
	if (f.source && e.source !== f.source) return false;
	if (f.endpoint && e.endpoint !== f.endpoint) return false;
	if (f.status_class && (typeof e.status_code !== "number" || `${Math.floor(e.status_code / 100)}xx` !== f.status_class)) return false;
	return true;
}

function onFrame(frame: ServerFrame): void {
	switch (frame.type) {
		case "subscribed":
			// (Re)connected: fill in whatever happened while the socket was away.
			void backfill();
			break;
		case "events":
			events.push((frame.data ?? []) as LiveEvent[]);
			if (frame.dropped) dropped.update((n) => n + frame.dropped!);
			break;
		case "metrics":
			metrics.set(frame.data);
			break;
		case "alert":
			alertFrames.set(frame.data as unknown as Alert);
			break;
		case "error":
			socketError.set(`${frame.message} (${frame.code})`);
			break;
	}
}

let backfillRun = 0;
export async function backfill(): Promise<void> {
	const run = ++backfillRun;
	try {
		const answer = await get<{ events: LiveEvent[] }>(`/dashboard/events/stream?limit=${BACKFILL}`);
		if (run !== backfillRun) return;
		const f = filter.get();
		events.merge(answer.events.filter((e) => matches(f, e)));
	} catch (err) {
		console.warn("live tail backfill failed", err);
	}
}

export const socket = new LiveSocket({
	tenantId: () => auth.session.get()?.user.tenant_id ?? null,
	token: () => auth.validToken(),
	onFrame,
	onRefused: (code) => auth.end(code === 4003 ? "This account may not watch that tenant. Sign in again." : "Your session has ended. Sign in again."),
	onUpgradeFailed: async () => {
		// A refused upgrade (expired or revoked token, suspended tenant) shows up only as a close:
		// ask the REST API, which refreshes or ends the session as it should.
		try {
			await get("/auth/profile");
		} catch (err) {
			if (err instanceof ApiError && err.status === 403) auth.end(err.message);
		}
	},
});

/** Changes the tail's filter: the server is asked for the new one, the buffer starts over. */
export function setFilter(next: TailFilter): void {
	const clean = Object.fromEntries(Object.entries(next).filter(([, v]) => typeof v === "string" && v.trim() !== "").map(([k, v]) => [k, v!.trim()])) as TailFilter;
	if (JSON.stringify(clean) === JSON.stringify(filter.get())) return;
	filter.set(clean);
	dropped.set(0);
	events.clear();
	socket.setFilter(clean);
	void backfill();
}

let running = false;
auth.session.watch((s) => {
	if (s && !running) {
		running = true;
		socket.start();
		void backfill();
		get<Tenant>("/tenant")
			.then((tenant) => auth.setTenant({ id: tenant.id, name: tenant.name, slug: tenant.slug }))
			.catch(() => {});
	} else if (!s && running) {
		running = false;
		socket.stop();
		events.clear();
		dropped.set(0);
		metrics.set(null);
		filter.set({});
		socket.setFilter({});
	}
});
