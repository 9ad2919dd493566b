import type { Channel, SocketFilter } from "./protocol";

/**
 * What a dashboard socket carries through hibernation: who opened it,
 * what it subscribed to and its get_data allowance. Kept in the socket's
 * attachment (the platform keeps it while the object sleeps) and well
 * under the 2 KB the docs allow: the longest filter is about 700 bytes.
 */
export type Attachment = {
	/** user id, session id, role */
	u: string;
	s: string;
	r: string;
	/** connected at (epoch ms) */
	at: number;
	c: Channel[];
	f: SocketFilter | null;
	/** get_data token bucket: tokens left, last refill (epoch ms) */
	gt: number;
	gl: number;
};

export const MAX_ATTACHMENT_BYTES = 2048;

/** get_data requests a socket may burst, and how fast the allowance refills. */
export const GET_DATA_BURST = 5;
export const GET_DATA_PER_SECOND = 1;

export function read(ws: WebSocket): Attachment | null {
	return (ws.deserializeAttachment() as Attachment | null) ?? null;
}

export function write(ws: WebSocket, a: Attachment): void {
	ws.serializeAttachment(a);
}

/** Tags for `getWebSockets(tag)`: by session and by user, so ending a session finds its sockets without a scan. */
export const sessionTag = (sessionId: string) => `s:${sessionId}`;
export const userTag = (userId: string) => `u:${userId}`;

/** Takes one get_data token; the seconds to wait when none is left. */
export function takeGetData(a: Attachment, now: number): { ok: true } | { ok: false; retryAfter: number } {
	const tokens = Math.min(GET_DATA_BURST, a.gt + ((now - a.gl) / 1000) * GET_DATA_PER_SECOND);
	a.gl = now;
	if (tokens < 1) {
		a.gt = tokens;
		return { ok: false, retryAfter: Math.ceil((1 - tokens) / GET_DATA_PER_SECOND) };
	}
	a.gt = tokens - 1;
	return { ok: true };
}
