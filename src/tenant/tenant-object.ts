import { DurableObject } from "cloudflare:workers";
import type { AlertingSnapshot, AttemptResult, Busy, Delivery } from "../alerting/types";
import { type Actor, type AlertActionResult, Alerting, EVALUATE_EVERY_MS } from "./alerts/alerting";
import { hasDirty } from "./alerts/sync";
import { admit } from "./admit";
import { Counters } from "./counters";
import {
	type AlertsSummary,
	type DashboardOverview,
	type RecentEvents,
	alertsSummaryView,
	checkLimit,
	checkWindow,
	overviewView,
} from "./dashboard";
import { Dedupe } from "./dedupe";
import { EndpointWindow } from "./endpoint-window";
import { Endpoints } from "./endpoints";
import { Flush } from "./flush";
import { loadTenant } from "./hydrate";
import { jobHandlers } from "./jobs";
import { KeyUse } from "./key-use";
import { Keys } from "./keys";
import { isMigrated, migrate } from "./migrations";
import { Outbox } from "./outbox";
import { PromTotals } from "./prom-totals";
import { EMPTY_PROM, type PromSnapshot, promView } from "./prom-view";
import { Recent } from "./recent";
import { type Job, Scheduler } from "./scheduler";
import { type MetricsSeries, seriesView } from "./series";
import { loadSettings, saveSettings } from "./settings";
import { PING, PONG } from "./sockets/protocol";
import { type ConnectionStats, DEFAULT_MAX_SOCKETS, type SocketIdentity, type SocketViews, Sockets } from "./sockets/sockets";
import type { Scope } from "../lib/scopes";
import type { IncomingEvent, IngestResult, KeyAuth, KeyRecord, TenantSettings } from "./types";
import { EMPTY_STATS, type TenantStats, type WindowSummary, statsView, summaryView } from "./views";

export type { Actor, AlertActionResult } from "./alerts/alerting";
export type { TenantStats, WindowSummary } from "./views";
export type { AlertsSummary, DashboardOverview, RecentEvents } from "./dashboard";
export type { MetricsSeries } from "./series";
export type { PromSnapshot } from "./prom-view";

/** How long an unknown tenant id is remembered as unknown before D1 is asked again. */
const UNKNOWN_TENANT_TTL_MS = 60_000;

type Modules = {
	keys: Keys;
	keyUse: KeyUse;
	counters: Counters;
	endpoints: Endpoints;
	endpointWindow: EndpointWindow;
	recent: Recent;
	dedupe: Dedupe;
	outbox: Outbox;
	prom: PromTotals;
	flush: Flush;
	alerting: Alerting;
};

/**
 * One object per tenant: the single writer that serializes rate limiting,
 * idempotency, counters and alert decisions, and the durable buffer in
 * front of D1. Its public methods are its RPC API; each delegates to a
 * module. Background work (flush, key use, rule evaluation, notifications,
 * alert records) runs as jobs of one alarm (scheduler.ts), each with its
 * own due time and backoff.
 *
 * An object gets storage only once it is configured for a tenant that exists:
 * a well-formed key with a made-up tenant id wakes an object that stays empty.
 */
export class TenantObject extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private readonly scheduler: Scheduler;
	private readonly sockets: Sockets;
	private settings: TenantSettings | null = null;
	private m: Modules | null = null;
	private unknownUntil = 0;
	private loading: Promise<void> | undefined;
	/** When rules were last evaluated (real time: the scheduler's clock). */
	private evaluatedAt = 0;
	/** The clock of every decision; tests move it to exercise windows and timers. */
	protected now: () => number = () => Date.now();

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		this.scheduler = new Scheduler(ctx.storage);
		this.sockets = new Sockets(ctx, this.socketViews(), Number(env.MAX_SOCKETS_PER_TENANT) || DEFAULT_MAX_SOCKETS);
		// Heartbeats are answered by the platform without waking the object.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
		void ctx.blockConcurrencyWhile(async () => {
			await this.scheduler.init();
			if (!isMigrated(this.sql)) return;
			this.resume(this.open());
		});
	}

	/**
	 * Sets the tenant's settings and adds keys (registration, PATCH /tenant).
	 * Settings carry D1's version: an older one arriving late is ignored, so
	 * two racing PATCHes end with the object agreeing with D1. An object that
	 * was never configured (its registration hand-over failed) and is given
	 * settings without keys loads the whole tenant from D1 instead, so its
	 * keys are never lost to a PATCH.
	 */
	async configure(settings: TenantSettings, keys: KeyRecord[] = []): Promise<void> {
		if (!this.settings && keys.length === 0) {
			// Shares a load already under way (a revocation may be waiting on it).
			this.unknownUntil = 0;
			if (await this.loadSettings(settings.tenantId)) return;
		}
		this.apply(settings, keys);
		// A tenant registered just now has no alerting configuration yet.
		const { alerting } = this.open();
		if (!alerting.config.loaded()) alerting.configure({ version: 0, rules: [], channels: [], policies: [], silences: [] }, this.now());
	}

	private apply(settings: TenantSettings, keys: KeyRecord[]): void {
		const m = this.open();
		const wasSuspended = this.settings?.suspended === true;
		this.ctx.storage.transactionSync(() => {
			if (!this.settings || settings.version >= (this.settings.version ?? 0)) {
				saveSettings(this.sql, settings);
				this.settings = settings;
			}
			for (const key of keys) m.keys.put(key);
		});
		this.unknownUntil = 0;
		const suspended = this.settings?.suspended === true;
		if (suspended && !wasSuspended) this.sockets.closeAll();
		// Lifted: alerting slept (see jobs.ts), so let it catch up now.
		if (wasSuspended && !suspended) this.resume(m);
	}

	/**
	 * Adds a key created in D1 (POST /api-keys); it works from the next
	 * request. An object that does not hold the tenant yet loads it from D1,
	 * the new key included.
	 */
	async addKey(tenantId: string, key: KeyRecord): Promise<void> {
		if (!this.settings && !(await this.loadSettings(tenantId))) throw new Error(`tenant ${tenantId} not found in D1`);
		this.open().keys.put(key);
	}

	/** Each key's last use seen by this object (epoch ms), fresher than D1's copy. */
	async keyUsage(): Promise<Record<string, number>> {
		return this.m?.keyUse.usage() ?? {};
	}

	/** Revokes a key; the next request that presents it is refused. */
	async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return false;
		return this.open().keys.revoke(keyId, Date.now());
	}

	/**
	 * The scopes of the active key of this tenant whose SHA-256 is `keyHash`,
	 * "unknown" (unknown or revoked), or "suspended" (a good key of a
	 * suspended tenant). The edge decides 401/403 from it, so a key used
	 * outside its scopes costs no second call.
	 */
	async authenticate(tenantId: string, keyHash: string, scope: Scope): Promise<KeyAuth> {
		const found = await this.keyFor(tenantId, keyHash);
		if (!found) return "unknown";
		if (found.settings.suspended) return "suspended";
		// Only a use the key may make counts as its use (last_used_at guides rotation).
		if (found.key.scopes.includes(scope)) this.touchKey(found.key.id, Date.now());
		return { scopes: found.key.scopes };
	}

	/**
	 * Accepts validated events for this tenant: checks the key, then for each
	 * event in order answers duplicate (seen in the last 24 h), rate_limited
	 * (window full) or accepted (made durable in the outbox and counted).
	 * `rejected` counts events the edge refused, so stats account for them.
	 * Everything after the key check runs in one synchronous transaction;
	 * once it committed, accepted events are counted into the alert rules'
	 * windows and an evaluation is asked for (at most one a second).
	 */
	async ingest(input: {
		tenantId: string;
		keyHash: string;
		events: IncomingEvent[];
		rejected: number;
	}): Promise<IngestResult> {
		const found = await this.keyFor(input.tenantId, input.keyHash);
		if (!found) return { ok: false, reason: "unknown" };
		const { settings } = found;
		// Nothing of a suspended tenant's request is counted or kept.
		if (settings.suspended) return { ok: false, reason: "suspended" };
		// Refused like a 401: nothing is counted, the request never reached the tenant's data.
		if (!found.key.scopes.includes("ingest")) return { ok: false, reason: "out_of_scope" };
		this.touchKey(found.key.id, Date.now());
		const m = this.m!;
		const now = Date.now();
		let decided: ReturnType<typeof admit>;
		try {
			decided = this.ctx.storage.transactionSync(() => admit(m, settings, input, now));
		} catch (err) {
			// The transaction rolled back; the in-memory counts it touched must too.
			m.counters = new Counters(this.sql);
			m.endpoints = new Endpoints(this.sql);
			throw err;
		}
		const { result, accepted } = decided;
		m.recent.push(accepted);
		// Committed: live dashboards may see these now.
		this.sockets.publish(accepted);
		if (accepted.length > 0) {
			this.scheduler.at("flush", now + this.flushDelayMs());
			const decisionNow = this.now();
			if (m.alerting.record(accepted, decisionNow)) {
				this.scheduler.at("rules", Math.max(now, this.evaluatedAt + EVALUATE_EVERY_MS));
			}
		}
		return result;
	}

	/** Counters for GET /ingestion/stats: lifetime totals plus the current minute and hour. */
	async stats(tenantId: string): Promise<TenantStats> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return EMPTY_STATS;
		const m = this.open();
		return statsView(m.counters, m.outbox, this.settings?.rateLimitPerMinute ?? 0, Date.now());
	}

	/** Counts and latency percentiles over the last `minutes` UTC minutes (the current one included). */
	async summary(tenantId: string, minutes: number): Promise<WindowSummary | null> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return null;
		return summaryView(this.open().counters, minutes, Date.now());
	}

	/**
	 * The tenant's lifetime totals for GET /api/v1/metrics (Prometheus):
	 * durable in this object's storage, so they only grow across restarts.
	 */
	async prometheus(tenantId: string): Promise<PromSnapshot> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return EMPTY_PROM;
		return promView(this.open());
	}

	/** Number of acknowledged events not yet in D1. */
	async pending(): Promise<number> {
		return this.m?.outbox.size() ?? 0;
	}

	// --- dashboard sockets ----------------------------------------------------

	/**
	 * The WebSocket upgrade, forwarded by the edge once it checked the access
	 * token (src/routes/dashboard/ws.ts); the only use of fetch. The socket is
	 * accepted for hibernation; past the tenant's socket limit the answer is 429.
	 */
	override async fetch(request: Request): Promise<Response> {
		const tenantId = request.headers.get("x-tenant-id");
		const who: SocketIdentity = {
			userId: request.headers.get("x-user-id") ?? "",
			sessionId: request.headers.get("x-session-id") ?? "",
			role: request.headers.get("x-user-role") ?? "viewer",
		};
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !tenantId || !who.userId || !who.sessionId) {
			return new Response("expected a WebSocket upgrade from the edge", { status: 400 });
		}
		if (!this.settings && !(await this.loadSettings(tenantId))) return new Response("unknown tenant", { status: 404 });
		// The edge refuses a suspended tenant's users first; this covers a suspension that raced it.
		if (this.settings?.suspended) return new Response("tenant suspended", { status: 403 });
		return this.sockets.accept(who);
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		await this.sockets.message(ws, message);
	}

	override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
		this.sockets.closed(ws, code, reason);
	}

	override async webSocketError(ws: WebSocket): Promise<void> {
		this.sockets.errored(ws);
	}

	/** GET /dashboard/connections/stats: open sockets and their subscriptions. */
	async connectionStats(): Promise<ConnectionStats> {
		return this.sockets.stats();
	}

	/**
	 * Closes the sockets of sessions that ended (called by the edge right after
	 * D1 revoked them): `only` one session (logout), else all of the user's
	 * but `keep` (password change keeps the caller's own session).
	 */
	async endSessions(userId: string, opts: { only?: string; keep?: string } = {}): Promise<number> {
		return this.sockets.endSessions(userId, opts);
	}

	/** What get_data and the metrics channel read: the dashboard REST bodies. */
	private socketViews(): SocketViews {
		const tenant = () => this.settings?.tenantId ?? "";
		return {
			overview: (minutes) => this.overview(tenant(), minutes),
			alertsSummary: () => this.alertsSummary(tenant()),
			recentEvents: (limit) => this.recentEvents(tenant(), limit),
			metrics: (minutes) => this.metricsSeries(tenant(), minutes, 60),
			live: async () => ({ window: "5m", ...(await this.overview(tenant(), 5)) }),
		};
	}

	// --- dashboard ------------------------------------------------------------

	/**
	 * GET /dashboard/overview without `window`: counts, error rate, latency,
	 * status classes, top endpoints, alerts, the newest events and health over
	 * the last `windowMinutes` UTC minutes (1..1440, the running one
	 * included). From the object's counters only, never a scan of D1's events.
	 * Null for a tenant D1 does not know.
	 */
	async overview(tenantId: string, windowMinutes: number): Promise<DashboardOverview | null> {
		checkWindow(windowMinutes);
		const m = await this.dashboardFor(tenantId, true);
		return m && overviewView(m, windowMinutes, Date.now());
	}

	/** The `limit` (1..200) newest accepted events, newest first (GET /dashboard/events/stream). */
	async recentEvents(tenantId: string, limit: number): Promise<RecentEvents | null> {
		checkLimit(limit);
		const m = await this.dashboardFor(tenantId, true);
		return m && { events: m.recent.newest(limit) };
	}

	/** Open alerts by status and severity and the 10 newest alerts (GET /dashboard/alerts/summary). */
	async alertsSummary(tenantId: string): Promise<AlertsSummary | null> {
		const m = await this.dashboardFor(tenantId);
		return m && alertsSummaryView(m.alerting.alerts);
	}

	/**
	 * GET /dashboard/metrics/real-time without `window`: the last
	 * `windowMinutes` in buckets of `bucketSeconds` (60, 300, 900 or 3600,
	 * at most the window), oldest first, every bucket present.
	 */
	async metricsSeries(tenantId: string, windowMinutes: number, bucketSeconds: number): Promise<MetricsSeries | null> {
		checkWindow(windowMinutes, bucketSeconds);
		const m = await this.dashboardFor(tenantId);
		return m && seriesView(m.counters, windowMinutes, bucketSeconds, Date.now());
	}

	/** The modules once the tenant is known; with `recent`, the recent-events ring filled (a cold object fills it once). */
	private async dashboardFor(tenantId: string, recent = false): Promise<Modules | null> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return null;
		const m = this.open();
		if (recent) await m.recent.fill(m.outbox, this.env.DB, tenantId);
		// Read again: a rollback while the fill waited on D1 may have replaced a module.
		return this.m;
	}

	// --- alerting -------------------------------------------------------------

	/**
	 * Takes the tenant's alerting configuration from D1 (newer versions only)
	 * and evaluates against it at once. Rules deleted or disabled resolve
	 * their open alert.
	 */
	async configureAlerting(tenantId: string, snapshot: AlertingSnapshot): Promise<void> {
		if (!this.settings && !(await this.loadSettings(tenantId))) throw new Error(`tenant ${tenantId} not found in D1`);
		const { alerting } = this.open();
		if (alerting.configure(snapshot, this.now())) this.afterAlerting(this.now());
	}

	/** Records a `test` notification to the channel and queues it; null when the channel is unknown. */
	async testChannel(tenantId: string, channelId: string): Promise<string | null> {
		const alerting = await this.alertingFor(tenantId);
		const id = alerting?.test(channelId, this.now()) ?? null;
		if (id) this.afterAlerting(this.now());
		return id;
	}

	/** Acknowledges an open alert (escalation stops; PagerDuty is told). */
	async acknowledgeAlert(tenantId: string, alertId: string, by: Actor, note?: string): Promise<AlertActionResult> {
		return this.alertAction(tenantId, (a, now) => a.acknowledge(alertId, by, note, now));
	}

	/** Resolves an open alert by hand (a resolved notification goes out). */
	async resolveAlert(tenantId: string, alertId: string, by: Actor, note?: string): Promise<AlertActionResult> {
		return this.alertAction(tenantId, (a, now) => a.resolveByHand(alertId, by, note, now));
	}

	/** Sends the alert's next escalation step now. */
	async escalateAlert(tenantId: string, alertId: string, by: Actor, note?: string): Promise<AlertActionResult> {
		return this.alertAction(tenantId, (a, now) => a.escalateByHand(alertId, by, note, now));
	}

	/**
	 * The every-minute cron's visit at `now` (its scheduled time): escalation
	 * steps that came due, and notifications whose queue message was lost.
	 */
	async tick(tenantId: string, now: number): Promise<number> {
		const alerting = await this.alertingFor(tenantId);
		// A suspended tenant's alerting sleeps: no escalation, no re-sent notification.
		if (!alerting || this.settings?.suspended) return 0;
		const caused = alerting.tick(now);
		this.afterAlerting(Date.now());
		return caused;
	}

	/** What the queue consumer needs for one attempt; null when unknown or already final; busy while another attempt is in flight. */
	async delivery(notificationId: string): Promise<Delivery | Busy | null> {
		if (!this.m && !isMigrated(this.sql)) return null;
		const { alerting } = this.open();
		const delivery = alerting.delivery(notificationId, Date.now());
		if (!delivery) this.scheduler.at("records", Date.now());
		return delivery;
	}

	/** Records one attempt's outcome; `final` marks it failed for good when it did not succeed. */
	async deliveryAttempt(notificationId: string, result: AttemptResult, final: boolean): Promise<void> {
		if (!this.m && !isMigrated(this.sql)) return;
		this.open().alerting.attempt(notificationId, result, final, Date.now());
		this.scheduler.at("records", Date.now());
	}

	/** Runs the due jobs; see scheduler.ts and jobs.ts. */
	override async alarm(): Promise<void> {
		const tenantId = this.settings?.tenantId;
		if (!tenantId || !this.m) return;
		await this.scheduler.run(
			Date.now(),
			jobHandlers({
				env: this.env,
				sql: this.sql,
				tenantId,
				modules: this.m,
				now: () => this.now(),
				evaluated: () => {
					this.evaluatedAt = Date.now();
				},
				afterAlerting: (now, evaluate) => this.afterAlerting(now, evaluate),
				suspended: () => this.settings?.suspended === true,
			}),
		);
	}

	/** After alerting changed something: tell the dashboards, send what it recorded, copy records to D1, keep evaluating. */
	private afterAlerting(now: number, evaluate = true): void {
		const { alerting } = this.m!;
		this.sockets.alertsChanged(alerting.alerts.drainChanges());
		if (alerting.notifications.unqueued(1).length > 0) this.scheduler.at("notify", now);
		if (hasDirty(this.sql)) this.scheduler.at("records", now + this.flushDelayMs());
		if (evaluate && alerting.active()) this.scheduler.at("rules", Math.max(now, this.evaluatedAt + EVALUATE_EVERY_MS));
	}

	private async alertAction(
		tenantId: string,
		action: (alerting: Alerting, now: number) => AlertActionResult,
	): Promise<AlertActionResult> {
		const alerting = await this.alertingFor(tenantId);
		if (!alerting) return { ok: false, reason: "not_found" };
		const result = action(alerting, this.now());
		if (result.ok) this.afterAlerting(Date.now());
		return result;
	}

	private async alertingFor(tenantId: string): Promise<Alerting | null> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return null;
		return this.open().alerting;
	}

	/** After a restart: ask for every job whose state says there is work, so nothing is stranded. */
	private resume(m: Modules): void {
		const now = Date.now();
		const ask = (job: Job, at: number | null | undefined) => at != null && this.scheduler.at(job, at);
		ask("flush", m.outbox.size() > 0 ? now : null);
		ask("keys", m.keyUse.dueAt());
		ask("rules", m.alerting.active() ? now : null);
		ask("notify", m.alerting.notifications.unqueued(1).length > 0 ? now : null);
		ask("records", hasDirty(this.sql) ? now : null);
		// The configuration is compared with D1's once per start, off the hot path: a copy that was
		// lost, or a hand-over that failed while the object was unreachable, is caught up here.
		ask("config", this.settings ? now : null);
	}

	/**
	 * The tenant's settings and the key when `keyHash` is one of its active
	 * keys, else null. Once the tenant is known this resolves without I/O, so
	 * no other request can run between the key check and the caller's
	 * transaction.
	 */
	private async keyFor(tenantId: string, keyHash: string): Promise<{ settings: TenantSettings; key: KeyRecord } | null> {
		const settings = this.settings ?? (await this.loadSettings(tenantId));
		const key = settings && this.m!.keys.verify(keyHash);
		return key ? { settings, key } : null;
	}

	/** How long accepted events wait in the outbox so that one D1 write carries many. */
	private flushDelayMs(): number {
		return Number(this.env.FLUSH_DELAY_MS) || 500;
	}

	/** Notes a key's use; D1 hears of it a minute after its last write at most. */
	private touchKey(id: string, now: number): void {
		const syncAt = this.m!.keyUse.touch(id, now);
		this.scheduler.at("keys", Math.max(now + this.flushDelayMs(), syncAt));
	}

	/** Creates this object's tables (once) and its modules. */
	private open(): Modules {
		if (this.m) return this.m;
		migrate(this.sql);
		this.settings = loadSettings(this.sql);
		const prom = new PromTotals(this.sql);
		const m: Omit<Modules, "flush"> = {
			keys: new Keys(this.sql),
			keyUse: new KeyUse(this.sql),
			counters: new Counters(this.sql),
			endpoints: new Endpoints(this.sql),
			endpointWindow: new EndpointWindow(this.sql, () => this.m!.endpoints),
			recent: new Recent(),
			dedupe: new Dedupe(this.sql),
			// Events are counted for Prometheus as they leave the buffer, in the transaction that removes them.
			outbox: new Outbox(this.sql, { leaving: (bodies) => prom.count(bodies), transact: (fn) => this.ctx.storage.transactionSync(fn) }),
			prom,
			alerting: new Alerting(
				this.sql,
				(fn) => this.ctx.storage.transactionSync(fn),
				() => ({ id: this.settings?.tenantId ?? "", slug: this.settings?.slug ?? "" }),
			),
		};
		// The flush reads the modules through this.m, so a module replaced after a rollback is the one it uses.
		this.m = { ...m, flush: new Flush(() => this.env.DB, () => this.m!) };
		return this.m;
	}

	/**
	 * Recovery path for an object that has no settings (registration could not
	 * reach it, or its storage was lost): read the tenant and its keys from D1
	 * once. Unknown ids are remembered for a minute so garbage keys cannot
	 * turn into a D1 query each, and they never create storage.
	 */
	private async loadSettings(tenantId: string): Promise<TenantSettings | null> {
		if (Date.now() < this.unknownUntil) return null;
		this.loading ??= this.loadFromD1(tenantId).finally(() => {
			this.loading = undefined;
		});
		await this.loading;
		return this.settings;
	}

	private async loadFromD1(tenantId: string): Promise<void> {
		const tenant = await loadTenant(this.env.DB, tenantId);
		if (!tenant) {
			this.unknownUntil = Date.now() + UNKNOWN_TENANT_TTL_MS;
			return;
		}
		this.apply(tenant.settings, tenant.keys);
		if (!this.open().alerting.config.loaded()) this.scheduler.at("config", Date.now());
	}
}
