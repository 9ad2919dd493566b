/** Helpers for the test receivers that vitest.config.ts runs on http://receiver.test. */

export const RECEIVER = "http://receiver.test";

export type Received = { method: string; url: string; headers: Record<string, string>; body: string };

let counter = 0;

/** A bucket name no other test uses, so parallel files never read each other's requests. */
export function bucket(label: string): string {
	return `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** What the receiver recorded for a bucket, oldest first. */
export async function receivedBy(name: string): Promise<Received[]> {
	const res = await fetch(`${RECEIVER}/_log/${encodeURIComponent(name)}`);
	if (!res.ok) throw new Error(`receiver log answered ${res.status}`);
	return res.json<Received[]>();
}
