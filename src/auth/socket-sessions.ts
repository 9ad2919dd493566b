import { tenantStub } from "../lib/auth";
import { log } from "../lib/log";

/**
 * Closes the dashboard sockets of sessions D1 just revoked (logout, password
 * change or reset, deactivation, refresh reuse). The sockets live in the
 * tenant's object and carry their session in a tag, so this is one call
 * that wakes no socket but the ones it closes. Called after the revocation
 * committed; a failure is retried once and logged, never failing the
 * request whose real work (the revocation) is done.
 */
export async function endSessionSockets(
	env: Env,
	tenantId: string,
	userId: string,
	opts: { only?: string; keep?: string } = {},
): Promise<void> {
	for (let attempt = 1; attempt <= 2; attempt++) {
		try {
			await tenantStub(env, tenantId).endSessions(userId, opts);
			return;
		} catch (err) {
			log(attempt === 2 ? "error" : "warn", "could not close the sockets of ended sessions", {
				tenant_id: tenantId,
				user_id: userId,
				attempt,
				error: String(err),
			});
		}
	}
}
