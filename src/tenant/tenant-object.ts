import { DurableObject } from "cloudflare:workers";
import { EVENT_TYPES } from "../db/schema";
import { log } from "../lib/log";
import { Counters, byType, minuteOf } from "./counters";
import { Dedupe } from "./dedupe";
import { KeyUse } from "./key-use";
import { Keys } from "./keys";
import { isMigrated, migrate } from "./migrations";
import { Outbox } from "./outbox";
import { rateLimitState } from "./rate-limit";
import { loadSettings, saveSettings } from "./settings";
import { mean, quantile } from "./sketch";
import type { IncomingEvent, IngestResult, ItemStatus, KeyRecord, TenantSettings } from "./types";

/** How long an unknown tenant id is remembered as unknown before D1 is asked again. */
const UNKNOWN_TENANT_TTL_MS = 60_000;
const FLUSH_RETRY_MS = 5_000;
const FLUSH_RETRY_MAX_MS = 60_000;
/** Failed flushes in a row before the oldest outbox row is tried on its own. */
const ISOLATE_AFTER_FAILURES = 3;
/** Times the oldest row must fail alone, with D1 answering, before it is parked. */
const PARK_AFTER_ISOLATED_FAILURES = 3;
/** Parked rows are given back to the outbox for another try after this long. */
const PARKED_RETRY_MS = 60 * 60 * 1000;

export type TenantStats = {
	total_events: number;
	events_last_minute: number;
	events_last_hour: number;
	by_type: Record<(typeof EVENT_TYPES)[number], number>;
	duplicates: number;
	rejected: number;
	rate_limited: number;
	rate_limit_per_minute: number;
	/** Accepted events not yet in D1. */
	pending_flush: number;
	/** Accepted events D1 refused on their own; kept in the object, never dropped. */
	parked_events: number;
};

export type WindowSummary = {
	total_events: number;
	by_type: Record<(typeof EVENT_TYPES)[number], number>;
	errors: number;
	error_rate: number;
	status_classes: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
	latency_ms: { avg: number | null; p50: number | null; p95: number | null; p99: number | null };
};

const EMPTY_STATS: TenantStats = {
	total_events: 0,
	events_last_minute: 0,
	events_last_hour: 0,
	by_type: { api_call: 0, error: 0, user_action: 0, custom: 0 },
	duplicates: 0,
	rejected: 0,
	rate_limited: 0,
	rate_limit_per_minute: 0,
	pending_flush: 0,
	parked_events: 0,
};

type Modules = { keys: Keys; keyUse: KeyUse; counters: Counters; dedupe: Dedupe; outbox: Outbox };

/**
 * One object per tenant: the single writer that serializes rate limiting,
 * idempotency and counters, and the durable buffer in front of D1. Its public
 * methods are its RPC API; each delegates to a module that owns a table.
 *
 * An object gets storage only once it is configured for a tenant that exists:
 * a well-formed key with a made-up tenant id wakes an object that stays empty.
 */
export class TenantObject extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private settings: TenantSettings | null = null;
	private m: Modules | null = null;
	/** When the alarm is due (null: none set). An alarm that is running counts as set until it ends. */
	private alarmAt: number | null = null;
	/** While a failed flush backs off, new work must not pull the alarm earlier. */
	private backoffUntil = 0;
	private flushFailures = 0;
	private isolatedFailures = 0;
	private unknownUntil = 0;
	private loading: Promise<void> | undefined;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		void ctx.blockConcurrencyWhile(async () => {
			if (!isMigrated(this.sql)) return;
			this.open();
			// Events acknowledged before a restart must still reach D1.
			this.alarmAt = await ctx.storage.getAlarm();
			if (this.alarmAt === null && this.m!.outbox.size() > 0) this.wakeIn(0);
			// Key uses saved before a restart still reach D1.
			const keyUseDue = this.m!.keyUse.dueAt();
			if (keyUseDue !== null) this.wakeAt(keyUseDue);
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
	}

	private apply(settings: TenantSettings, keys: KeyRecord[]): void {
		const m = this.open();
		this.ctx.storage.transactionSync(() => {
			if (!this.settings || settings.version >= (this.settings.version ?? 0)) {
				saveSettings(this.sql, settings);
				this.settings = settings;
			}
			for (const key of keys) m.keys.put(key);
		});
		this.unknownUntil = 0;
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

	/** True when `keyHash` is an active key of this tenant (read routes). */
	async authenticate(tenantId: string, keyHash: string): Promise<boolean> {
		return (await this.settingsFor(tenantId, keyHash)) !== null;
	}

	/**
	 * Accepts validated events for this tenant: checks the key, then for each
	 * event in order answers duplicate (seen in the last 24 h), rate_limited
	 * (window full) or accepted (made durable in the outbox and counted).
	 * `rejected` counts events the edge refused, so stats account for them.
	 * Everything after the key check runs in one synchronous transaction.
	 */
	async ingest(input: {
		tenantId: string;
		keyHash: string;
		events: IncomingEvent[];
		rejected: number;
	}): Promise<IngestResult> {
		const settings = await this.settingsFor(input.tenantId, input.keyHash);
		if (!settings) return { ok: false };
		const { counters, dedupe, outbox } = this.m!;
		const now = Date.now();
		try {
			return this.ctx.storage.transactionSync(() => {
				const minute = counters.minute(now);
				const seen = dedupe.seen(
					input.events.map((ev) => ev.event_id),
					now,
				);
				const accepted: IncomingEvent[] = [];
				let duplicates = 0;
				let limited = 0;
				const statuses = input.events.map((ev): ItemStatus => {
					if (seen.has(ev.event_id)) {
						duplicates++;
						return "duplicate";
					}
					if (minute.n >= settings.rateLimitPerMinute) {
						limited++;
						return "rate_limited";
					}
					// A second copy within the same request is a duplicate of the first.
					seen.add(ev.event_id);
					accepted.push(ev);
					counters.recordAccepted(ev, now);
					return "accepted";
				});
				dedupe.remember(
					accepted.map((ev) => ev.event_id),
					now,
				);
				outbox.append(accepted.map((ev) => ev.row));
				counters.recordOther("d", duplicates, now);
				counters.recordOther("rl", limited, now);
				counters.recordOther("r", input.rejected, now);
				counters.save();
				if (accepted.length > 0) this.wakeIn(this.flushDelayMs());
				return { ok: true, statuses, ...rateLimitState(settings.rateLimitPerMinute, minute.n, now) };
			});
		} catch (err) {
			// The transaction rolled back; the in-memory counts it touched must too.
			this.m!.counters = new Counters(this.sql);
			throw err;
		}
	}

	/** Counters for GET /ingestion/stats: lifetime totals plus the current minute and hour. */
	async stats(tenantId: string): Promise<TenantStats> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return EMPTY_STATS;
		const now = Date.now();
		const minute = minuteOf(now);
		const m = this.open();
		const totals = m.counters.getTotals();
		return {
			total_events: totals.n,
			events_last_minute: m.counters.minute(now).n,
			events_last_hour: m.counters.window(minute - 59, minute).n,
			by_type: byType(totals.t),
			duplicates: totals.d,
			rejected: totals.r,
			rate_limited: totals.rl,
			rate_limit_per_minute: this.settings?.rateLimitPerMinute ?? 0,
			pending_flush: m.outbox.size(),
			parked_events: m.outbox.parked(),
		};
	}

	/**
	 * Counts and latency percentiles over the last `minutes` UTC minutes
	 * (the current one included): a merge of minute rows.
	 */
	async summary(tenantId: string, minutes: number): Promise<WindowSummary | null> {
		if (!this.settings && !(await this.loadSettings(tenantId))) return null;
		const m = this.open();
		const now = minuteOf(Date.now());
		const w = m.counters.window(now - minutes + 1, now);
		return {
			total_events: w.n,
			by_type: byType(w.t),
			errors: w.e,
			error_rate: w.n === 0 ? 0 : w.e / w.n,
			status_classes: { "2xx": w.s["2xx"] ?? 0, "3xx": w.s["3xx"] ?? 0, "4xx": w.s["4xx"] ?? 0, "5xx": w.s["5xx"] ?? 0 },
			latency_ms: { avg: mean(w.l), p50: quantile(w.l, 0.5), p95: quantile(w.l, 0.95), p99: quantile(w.l, 0.99) },
		};
	}

	/** Number of acknowledged events not yet in D1. */
	async pending(): Promise<number> {
		return this.m?.outbox.size() ?? 0;
	}

	/**
	 * Writes buffered events to D1 and does housekeeping. Idempotent: a run
	 * that dies after D1 committed replays rows that INSERT OR IGNORE skips.
	 * A D1 failure reschedules itself with backoff instead of relying on the
	 * platform's bounded alarm retries, so buffered events are never stranded.
	 */
	override async alarm(): Promise<void> {
		const tenantId = this.settings?.tenantId;
		if (!tenantId || !this.m) {
			this.alarmAt = null;
			return;
		}
		const { outbox, counters, dedupe } = this.m;
		const deadline = Date.now() + 10_000;
		try {
			while ((await outbox.flush(this.env.DB, tenantId)) > 0 && Date.now() < deadline) {
				// keep draining while there is a backlog
			}
			this.flushFailures = 0;
			this.backoffUntil = 0;
		} catch (err) {
			this.flushFailures++;
			log("error", "flush to D1 failed; retrying", { tenant_id: tenantId, failures: this.flushFailures, error: String(err) });
			if (this.flushFailures >= ISOLATE_AFTER_FAILURES && (await this.isolateOldest(tenantId))) {
				this.rescheduleIn(0);
			} else {
				this.rescheduleIn(Math.min(FLUSH_RETRY_MS * this.flushFailures, FLUSH_RETRY_MAX_MS));
			}
			return;
		}
		const now = Date.now();
		outbox.unpark(now - PARKED_RETRY_MS);
		counters.saveSketch();
		dedupe.prune(now);
		counters.prune(now);
		await this.m.keyUse.sync(this.env.DB, tenantId, now);
		this.alarmAt = null;
		if (outbox.size() > 0) this.wakeIn(0);
		else {
			const keyUseDue = this.m.keyUse.dueAt();
			if (keyUseDue !== null) this.wakeAt(keyUseDue);
		}
	}

	/**
	 * After repeated failures, tells a D1 outage from a row D1 refuses: when D1
	 * answers a trivial query but refuses the oldest outbox row written alone,
	 * that row is parked (kept, logged, counted in stats, retried hourly) so
	 * the rows behind it flow again. During an outage nothing is parked.
	 * Returns true when the oldest row went through or was parked.
	 */
	private async isolateOldest(tenantId: string): Promise<boolean> {
		try {
			await this.env.DB.prepare("SELECT 1").first();
		} catch {
			return false;
		}
		const { outbox } = this.m!;
		try {
			await outbox.flush(this.env.DB, tenantId, 1);
			this.isolatedFailures = 0;
		} catch (err) {
			// A passing fault looks the same once; only a row that fails alone
			// again and again, while D1 answers, is parked.
			if (++this.isolatedFailures < PARK_AFTER_ISOLATED_FAILURES) return false;
			const parked = outbox.parkOldest(String(err), Date.now());
			this.isolatedFailures = 0;
			log("error", "D1 refused buffered events on their own; parked them", { tenant_id: tenantId, events: parked, error: String(err) });
		}
		this.flushFailures = 0;
		return true;
	}

	/**
	 * The tenant's settings when `keyHash` is one of its active keys, else
	 * null. Once the tenant is known this resolves without I/O, so no other
	 * request can run between the key check and the caller's transaction.
	 */
	private async settingsFor(tenantId: string, keyHash: string): Promise<TenantSettings | null> {
		const settings = this.settings ?? (await this.loadSettings(tenantId));
		const key = settings && this.m!.keys.verify(keyHash);
		if (!key) return null;
		this.touchKey(key.id, Date.now());
		return settings;
	}

	/** How long accepted events wait in the outbox so that one D1 write carries many. */
	private flushDelayMs(): number {
		return Number(this.env.FLUSH_DELAY_MS) || 500;
	}

	/** Sets the alarm for `at` unless one is already due sooner (or running). */
	private wakeAt(at: number): void {
		at = Math.max(at, this.backoffUntil);
		if (this.alarmAt !== null && this.alarmAt <= at) return;
		this.alarmAt = at;
		void this.ctx.storage.setAlarm(at);
	}

	private wakeIn(delayMs: number): void {
		this.wakeAt(Date.now() + delayMs);
	}

	/** From inside a running alarm: the next run, whatever was set before. */
	private rescheduleIn(delayMs: number): void {
		this.alarmAt = null;
		this.backoffUntil = Date.now() + delayMs;
		this.wakeIn(delayMs);
	}

	/** Notes a key's use; D1 hears of it with the next flush, or a minute after its last write. */
	private touchKey(id: string, now: number): void {
		const syncAt = this.m!.keyUse.touch(id, now);
		this.wakeAt(Math.max(now + this.flushDelayMs(), syncAt));
	}

	/** Creates this object's tables (once) and its modules. */
	private open(): Modules {
		if (this.m) return this.m;
		migrate(this.sql);
		this.settings = loadSettings(this.sql);
		this.m = {
			keys: new Keys(this.sql),
			keyUse: new KeyUse(this.sql),
			counters: new Counters(this.sql),
			dedupe: new Dedupe(this.sql),
			outbox: new Outbox(this.sql),
		};
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
		const tenant = await this.env.DB.prepare(
			"SELECT id, slug, rate_limit_per_minute, retention_days, settings_version FROM tenants WHERE id = ?",
		)
			.bind(tenantId)
			.first<{ id: string; slug: string; rate_limit_per_minute: number; retention_days: number; settings_version: number }>();
		if (!tenant) {
			this.unknownUntil = Date.now() + UNKNOWN_TENANT_TTL_MS;
			return;
		}
		const { results } = await this.env.DB.prepare(
			"SELECT id, key_hash, revoked_at FROM api_keys WHERE tenant_id = ?",
		)
			.bind(tenantId)
			.all<{ id: string; key_hash: string; revoked_at: number | null }>();
		this.apply(
			{
				tenantId: tenant.id,
				slug: tenant.slug,
				rateLimitPerMinute: tenant.rate_limit_per_minute,
				retentionDays: tenant.retention_days,
				version: tenant.settings_version,
			},
			results.map((k) => ({ id: k.id, hash: k.key_hash, revokedAt: k.revoked_at })),
		);
	}
}
