import { exports } from "cloudflare:workers";
import { BASE, type Registered } from "../../helpers";

export type Frame = { type: string; [k: string]: unknown };

/** A dashboard socket opened through the Worker, as a browser would, with its frames queued for the test. */
export type TestSocket = {
	ws: WebSocket;
	frames: Frame[];
	/** The next frame (of `type`, skipping others) within `timeoutMs`. */
	next(type?: string, timeoutMs?: number): Promise<Frame>;
	/** Resolves with the close code and reason. */
	closed: Promise<{ code: number; reason: string }>;
	send(frame: unknown): void;
};

export function upgrade(tenantId: string, token: string | null, headers: Record<string, string> = { Upgrade: "websocket" }) {
	const q = token === null ? "" : `?token=${encodeURIComponent(token)}`;
	return exports.default.fetch(new Request(`${BASE}/api/v1/dashboard/ws/${tenantId}${q}`, { headers }));
}

export async function openSocket(t: Registered, token = t.access_token): Promise<TestSocket> {
	const res = await upgrade(t.tenant.id, token);
	if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
	const ws = res.webSocket;
	ws.accept();
	const frames: Frame[] = [];
	let wake: (() => void) | null = null;
	ws.addEventListener("message", (e) => {
		frames.push(JSON.parse(e.data as string) as Frame);
		wake?.();
	});
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
	);
	let read = 0;
	const next = async (type?: string, timeoutMs = 3_000): Promise<Frame> => {
		const until = Date.now() + timeoutMs;
		for (;;) {
			while (read < frames.length) {
				const f = frames[read++]!;
				if (!type || f.type === type) return f;
			}
			const left = until - Date.now();
			if (left <= 0) throw new Error(`no ${type ?? "frame"} within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-3))}`);
			await new Promise<void>((resolve) => {
				wake = resolve;
				setTimeout(resolve, Math.min(left, 50));
			});
		}
	};
	return { ws, frames, next, closed, send: (f) => ws.send(typeof f === "string" ? f : JSON.stringify(f)) };
}

/** Opens a socket and subscribes it; waits for the `subscribed` answer. */
export async function subscribed(t: Registered, channels: string[], filter?: unknown, token?: string): Promise<TestSocket> {
	const s = await openSocket(t, token);
	s.send({ type: "subscribe", channels, ...(filter !== undefined ? { filter } : {}) });
	await s.next("subscribed");
	return s;
}

export const apiCall = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
	event_type: "api_call",
	source: "checkout",
	endpoint: "/v1/orders",
	method: "GET",
	status_code: 200,
	response_time_ms: 12,
	...extra,
});
