import { EVENT_MAX_BYTES, type Item, SERVER_MAX_BATCH, bodySize, toBatches, utf8Length } from "./batcher.js";
import { type SendConfig, deliver } from "./send.js";
import { PulseStreamError, type PulseStreamEvent, type PulseStreamOptions } from "./types.js";
import { uuid } from "./uuid.js";

const DEFAULTS = {
	flushIntervalMs: 1_000,
	maxBatchEvents: 500,
	maxBatchBytes: 512 * 1024,
	maxRetryMs: 30_000,
	maxQueueEvents: 10_000,
};

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
	if (value === undefined) return fallback;
	if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
		throw new TypeError(`PulseStream: ${name} must be a number from 0 to ${max}`);
	}
	return value;
}

/**
 * A PulseStream producer: capture() queues, batches go out when full, after
 * flushIntervalMs, or on flush(). Configuration mistakes throw from the
 * constructor (they are bugs to see at once); nothing after that throws:
 * every event the client gives up on goes to onError.
 */
export class PulseStream {
	/** The URL batches are sent to; the Hono middleware does not report requests to it. */
	readonly batchUrl: string;
	readonly #options: { source: string | undefined; flushIntervalMs: number; maxBatchEvents: number; maxBatchBytes: number; maxRetryMs: number; maxQueueEvents: number };
	readonly #send: SendConfig;
	readonly #onError: (error: PulseStreamError) => void;
	#queue: Item[] = [];
	#queuedBytes = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	readonly #inFlight = new Set<Promise<void>>();
	#closed = false;

	constructor(options: PulseStreamOptions) {
		if (!options || typeof options.apiKey !== "string" || options.apiKey === "") throw new TypeError("PulseStream: apiKey is required");
		if (typeof options.endpoint !== "string" || !/^https?:\/\//i.test(options.endpoint)) {
			throw new TypeError("PulseStream: endpoint must be the deployment's http(s) base URL");
		}
		// Joined as text, so a deployment under a path prefix (https://host/pulsestream) keeps it.
		this.batchUrl = `${new URL(options.endpoint).href.replace(/\/+$/, "")}/api/v1/ingestion/events/batch`;
		this.#options = {
			source: options.source,
			flushIntervalMs: positive("flushIntervalMs", options.flushIntervalMs, DEFAULTS.flushIntervalMs),
			maxBatchEvents: Math.max(1, positive("maxBatchEvents", options.maxBatchEvents, DEFAULTS.maxBatchEvents, SERVER_MAX_BATCH)),
			maxBatchBytes: positive("maxBatchBytes", options.maxBatchBytes, DEFAULTS.maxBatchBytes),
			maxRetryMs: positive("maxRetryMs", options.maxRetryMs, DEFAULTS.maxRetryMs),
			maxQueueEvents: Math.max(1, positive("maxQueueEvents", options.maxQueueEvents, DEFAULTS.maxQueueEvents)),
		};
		const userOnError = options.onError;
		this.#onError = (error) => {
			try {
				if (userOnError) userOnError(error);
				// The default says what was lost; messages never hold the key.
				else console.warn(`[pulsestream] ${error.message}`);
			} catch {
				// A throwing onError must not break the caller of capture() or a flush.
			}
		};
		const custom = options.fetch;
		this.#send = {
			url: this.batchUrl,
			apiKey: options.apiKey,
			maxRetryMs: this.#options.maxRetryMs,
			// Looked up at each request (not bound at construction), so a fetch patched later is used.
			fetch: () => custom ?? globalThis.fetch,
			report: this.#onError,
		};
		// A page being hidden may be the last chance to send (the tab closes next).
		const doc = (globalThis as { document?: { addEventListener?: (t: string, f: () => void) => void; visibilityState?: string } }).document;
		doc?.addEventListener?.("visibilitychange", () => {
			if (doc.visibilityState === "hidden") void this.flush();
		});
	}

	/**
	 * Queues an event. Fills in event_id (a UUID, so that every retry of it is
	 * deduplicated by the server), timestamp (now) and source (the option).
	 * Returns whether the event was queued; never throws.
	 */
	capture(event: PulseStreamEvent): boolean {
		try {
			return this.#capture(event);
		} catch (cause) {
			this.#onError(new PulseStreamError({ reason: "invalid_event", message: "PulseStream could not capture an event", events: [], cause }));
			return false;
		}
	}

	#capture(event: PulseStreamEvent): boolean {
		const refuse = (reason: PulseStreamError["reason"], message: string, events: PulseStreamEvent[] = [event]) => {
			this.#onError(new PulseStreamError({ reason, message, events }));
			return false;
		};
		if (this.#closed) return refuse("shut_down", "PulseStream: capture() after shutdown(); the event was dropped");
		if (typeof event !== "object" || event === null || Array.isArray(event)) {
			return refuse("invalid_event", "PulseStream: an event must be an object", []);
		}
		if (typeof event.event_type !== "string" || event.event_type === "") {
			return refuse("invalid_event", "PulseStream: an event needs an event_type");
		}
		const copy: PulseStreamEvent = { ...event };
		if (copy.event_id === undefined || copy.event_id === null) copy.event_id = uuid();
		if (copy.timestamp === undefined || copy.timestamp === null) copy.timestamp = new Date().toISOString();
		if ((copy.source === undefined || copy.source === null) && this.#options.source !== undefined) copy.source = this.#options.source;
		let json: string;
		try {
			json = JSON.stringify(copy);
		} catch {
			return refuse("invalid_event", "PulseStream: an event must be JSON-serializable (no cycles, no BigInt)", [copy]);
		}
		const bytes = utf8Length(json);
		if (bytes > EVENT_MAX_BYTES) {
			return refuse("event_too_large", `PulseStream: event ${copy.event_id} is ${bytes} bytes; one event may be at most ${EVENT_MAX_BYTES}`, [copy]);
		}
		if (this.#queue.length >= this.#options.maxQueueEvents) {
			return refuse("queue_full", `PulseStream: ${this.#queue.length} events are already waiting; event ${copy.event_id} was dropped`, [copy]);
		}
		// A batch goes as soon as it is full: when this event would not fit in it (bytes), or when
		// it completes it (count), so that a busy client sends whole batches, not a full one and a scrap.
		const { maxBatchBytes, maxBatchEvents } = this.#options;
		if (this.#queue.length > 0 && bodySize(this.#queue.length + 1, this.#queuedBytes + bytes) > maxBatchBytes) void this.flush();
		this.#queue.push({ event: copy, json, bytes });
		this.#queuedBytes += bytes;
		if (this.#queue.length >= maxBatchEvents || bodySize(this.#queue.length, this.#queuedBytes) >= maxBatchBytes) {
			void this.flush();
		} else if (this.#timer === undefined && typeof setTimeout === "function") {
			// Armed only while events wait, so an idle client holds no timer (a Node process can exit,
			// and a Worker never sets one at startup, where timers are not allowed).
			this.#timer = setTimeout(() => {
				this.#timer = undefined;
				void this.flush();
			}, this.#options.flushIntervalMs);
		}
		return true;
	}

	/** Events queued and not yet handed to a request. */
	get queued(): number {
		return this.#queue.length;
	}

	/**
	 * Sends everything queued and resolves when it and every send already
	 * under way are decided (delivered, or given up on through onError). Never
	 * rejects. In a Worker, pass it to `ctx.waitUntil(client.flush())`.
	 */
	flush(): Promise<void> {
		if (this.#timer !== undefined) {
			clearTimeout(this.#timer);
			this.#timer = undefined;
		}
		const batches = toBatches(this.#queue, this.#options.maxBatchEvents, this.#options.maxBatchBytes);
		this.#queue = [];
		this.#queuedBytes = 0;
		if (batches.length > 0) {
			// The batches of one flush go one after another (gentle on the rate limit, in order);
			// each runs in the caller's context, which a Worker needs for its I/O.
			const sending = (async () => {
				for (const batch of batches) await deliver(batch, this.#send);
			})();
			this.#inFlight.add(sending);
			void sending.finally(() => this.#inFlight.delete(sending));
		}
		return Promise.all([...this.#inFlight]).then(() => undefined);
	}

	/** Flushes, stops the timer and refuses later captures (through onError). Safe to call twice. */
	shutdown(): Promise<void> {
		this.#closed = true;
		return this.flush();
	}
}
