import { DurableObject } from "cloudflare:workers";
import { EVENT_TYPES } from "../db/schema";
import { log } from "../lib/log";
import { Counters, minuteOf } from "./counters";
import { Dedupe } from "./dedupe";
import { Keys, loadSettings, saveSettings } from "./keys";
import { migrate } from "./migrations";
import { Outbox } from "./outbox";
import { rateLimitState } from "./rate-limit";
import type { IncomingEvent, IngestResult, ItemStatus, KeyRecord, TenantSettings } from "./types";

/** How long an unknown tenant id is remembered as unknown before D1 is asked again. */
const UNKNOWN_TENANT_TTL_MS = 60_000;
const FLUSH_RETRY_MS = 5_000;

export type TenantStats = {
	total_events: number;
	events_last_minute: number;
	events_last_hour: number;
	by_type: Record<(typeof EVENT_TYPES)[number], number>;
	duplicates: number;
	rejected: number;
	rate_limited: number;
	rate_limit_per_minute: number;
};

/**
 * One object per tenant: the single writer that serializes rate limiting,
 * idempotency and counters, and the durable buffer in front of D1. Its public
 * methods are its RPC API; each delegates to a module that owns a table.
 */
export class TenantObject extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private settings: TenantSettings | null = null;
	private keys!: Keys;
	private counters!: Counters;
	private dedupe!: Dedupe;
	private outbox!: Outbox;
	private alarmSet = false;
	private unknownUntil = 0;
	private loading: Promise<void> | undefined;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		void ctx.blockConcurrencyWhile(async () => {
			migrate(this.sql);
			this.settings = loadSettings(this.sql);
			this.keys = new Keys(this.sql);
			this.counters = new Counters(this.sql);
			this.dedupe = new Dedupe(this.sql);
			this.outbox = new Outbox(this.sql);
			// Events acknowledged before a restart must still reach D1.
			this.alarmSet = (await ctx.storage.getAlarm()) !== null;
			if (!this.alarmSet && this.outbox.size() > 0) this.scheduleFlush(0);
		});
	}

	/** Sets (or replaces) the tenant's settings and adds keys; used at registration and by PATCH /tenant. */
	async configure(settings: TenantSettings, keys: KeyRecord[] = []): Promise<void> {
		this.ctx.storage.transactionSync(() => {
			saveSettings(this.sql, settings);
			for (const key of keys) this.keys.put(key);
		});
		this.settings = settings;
		this.unknownUntil = 0;
	}

	/** Revokes a key; the next request that presents it is refused. */
	async revokeKey(keyId: string): Promise<boolean> {
		return this.keys.revoke(keyId, Date.now());
	}

	/** True when `keyHash` is an active key of this tenant (read routes). */
	async authenticate(tenantId: string, keyHash: string): Promise<boolean> {
		const settings = this.settings ?? (await this.loadSettings(tenantId));
		return settings !== null && this.keys.verify(keyHash) !== null;
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
		const settings = this.settings ?? (await this.loadSettings(input.tenantId));
		if (!settings || !this.keys.verify(input.keyHash)) return { ok: false };
		const now = Date.now();
		return this.ctx.storage.transactionSync(() => {
			const minute = this.counters.minute(now);
			const keyed = input.events.filter((ev) => !ev.generated).map((ev) => ev.event_id);
			const seen = this.dedupe.seen(keyed, now);
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
				this.counters.recordAccepted(ev, now);
				return "accepted";
			});
			this.dedupe.remember(
				accepted.filter((ev) => !ev.generated).map((ev) => ev.event_id),
				now,
			);
			this.outbox.append(accepted.map((ev) => ev.row));
			this.counters.recordOther("d", duplicates, now);
			this.counters.recordOther("rl", limited, now);
			this.counters.recordOther("r", input.rejected, now);
			this.counters.save();
			if (accepted.length > 0 && !this.alarmSet) this.scheduleFlush(Number(this.env.FLUSH_DELAY_MS) || 500);
			return { ok: true, statuses, ...rateLimitState(settings.rateLimitPerMinute, minute.n, now) };
		});
	}

	/** Counters for GET /ingestion/stats: lifetime totals plus the current minute and hour. */
	async stats(): Promise<TenantStats> {
		const now = Date.now();
		const totals = this.counters.getTotals();
		const minute = minuteOf(now);
		const by_type = Object.fromEntries(EVENT_TYPES.map((t) => [t, totals.t[t] ?? 0])) as TenantStats["by_type"];
		return {
			total_events: totals.n,
			events_last_minute: this.counters.minute(now).n,
			events_last_hour: this.counters.window(minute - 59, minute).n,
			by_type,
			duplicates: totals.d,
			rejected: totals.r,
			rate_limited: totals.rl,
			rate_limit_per_minute: this.settings?.rateLimitPerMinute ?? 0,
		};
	}

	/** Number of acknowledged events not yet in D1. */
	async pending(): Promise<number> {
		return this.outbox.size();
	}

	/**
	 * Writes buffered events to D1 and does housekeeping. Idempotent: a run
	 * that dies after D1 committed replays rows that INSERT OR IGNORE skips.
	 * A D1 failure reschedules itself instead of relying on the platform's
	 * bounded alarm retries, so buffered events are never stranded.
	 */
	override async alarm(): Promise<void> {
		const tenantId = this.settings?.tenantId;
		if (!tenantId) return;
		const deadline = Date.now() + 10_000;
		try {
			while ((await this.outbox.flush(this.env.DB, tenantId)) > 0 && Date.now() < deadline) {
				// keep draining while there is a backlog
			}
		} catch (err) {
			log("error", "flush to D1 failed; retrying", { tenant_id: tenantId, error: String(err) });
			this.scheduleFlush(FLUSH_RETRY_MS);
			return;
		}
		const now = Date.now();
		this.counters.saveSketch();
		this.dedupe.prune(now);
		this.counters.prune(now);
		this.alarmSet = false;
		if (this.outbox.size() > 0) this.scheduleFlush(0);
	}

	private scheduleFlush(delayMs: number): void {
		this.alarmSet = true;
		void this.ctx.storage.setAlarm(Date.now() + delayMs);
	}

	/**
	 * Recovery path for an object that has no settings (registration could not
	 * reach it, or its storage was lost): read the tenant and its keys from D1
	 * once. Unknown ids are remembered for a minute so garbage keys cannot
	 * turn into a D1 query each.
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
			"SELECT id, slug, rate_limit_per_minute, retention_days FROM tenants WHERE id = ?",
		)
			.bind(tenantId)
			.first<{ id: string; slug: string; rate_limit_per_minute: number; retention_days: number }>();
		if (!tenant) {
			this.unknownUntil = Date.now() + UNKNOWN_TENANT_TTL_MS;
			return;
		}
		const { results } = await this.env.DB.prepare(
			"SELECT id, key_hash, revoked_at FROM api_keys WHERE tenant_id = ?",
		)
			.bind(tenantId)
			.all<{ id: string; key_hash: string; revoked_at: number | null }>();
		await this.configure(
			{
				tenantId: tenant.id,
				slug: tenant.slug,
				rateLimitPerMinute: tenant.rate_limit_per_minute,
				retentionDays: tenant.retention_days,
			},
			results.map((k) => ({ id: k.id, hash: k.key_hash, revokedAt: k.revoked_at })),
		);
	}
}
