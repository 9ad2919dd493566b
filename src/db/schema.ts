import { sql } from "drizzle-orm";
import { DEFAULT_SCOPES, type Scope } from "../lib/scopes";
import {
	index,
	integer,
	real,
	sqliteTable,
	text,
	uniqueIndex,
} from "drizzle-orm/sqlite-core";

export const EVENT_TYPES = ["api_call", "error", "user_action", "custom"] as const;
export const SEVERITIES = ["debug", "info", "warning", "error", "critical"] as const;

/** Times are epoch milliseconds (UTC) in storage; the API renders ISO-8601. */
const createdAt = () =>
	integer("created_at", { mode: "number" })
		.notNull()
		.default(sql`(unixepoch('subsec') * 1000)`);

/** `tenant_id` of a row that belongs to a tenant (a foreign key). */
const tenantRef = () =>
	text("tenant_id")
		.notNull()
		.references(() => tenants.id);

/** `user_id` of a row that belongs to a user (a foreign key). */
const userRef = () =>
	text("user_id")
		.notNull()
		.references(() => users.id);

export const tenants = sqliteTable(
	"tenants",
	{
		id: text("id").primaryKey(),
		name: text("name").notNull(),
		slug: text("slug").notNull().unique(),
		rateLimitPerMinute: integer("rate_limit_per_minute").notNull().default(10_000),
		retentionDays: integer("retention_days").notNull().default(30),
		/** Bumped by every settings change so the tenant object can ignore a stale update that arrives late. */
		settingsVersion: integer("settings_version").notNull().default(1),
		/** Bumped by every change to the tenant's channels, rules, policies or silences (hand-over to its object). */
		alertingVersion: integer("alerting_version").notNull().default(0),
		/** Plan ceilings set by an operator; NULL is the plan default (PLAN_MAX_* variables), so changing the variable moves every tenant left on it. */
		maxRateLimitPerMinute: integer("max_rate_limit_per_minute"),
		maxRetentionDays: integer("max_retention_days"),
		/** When an operator suspended the tenant (NULL: not suspended). Suspension deletes nothing. */
		suspendedAt: integer("suspended_at", { mode: "number" }),
		createdAt: createdAt(),
	},
	// The operator list pages oldest first.
	(t) => [index("tenants_created_at").on(t.createdAt, t.id)],
);

/** Where a bounded background job (retention) stopped, so the next run goes on from there. */
export const jobState = sqliteTable("job_state", {
	name: text("name").primaryKey(),
	cursor: text("cursor").notNull(),
	updatedAt: integer("updated_at", { mode: "number" }).notNull(),
});

export const users = sqliteTable(
	"users",
	{
		id: text("id").primaryKey(),
		tenantId: tenantRef(),
		email: text("email").notNull(),
		fullName: text("full_name"),
		role: text("role", { enum: ["viewer", "admin", "owner"] }).notNull(),
		passwordHash: text("password_hash").notNull(),
		isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
		createdAt: createdAt(),
		updatedAt: integer("updated_at", { mode: "number" }),
	},
	(t) => [uniqueIndex("users_tenant_email").on(t.tenantId, t.email)],
);

/** Only the SHA-256 of a key is kept; `prefix` lets people tell keys apart. */
export const apiKeys = sqliteTable(
	"api_keys",
	{
		id: text("id").primaryKey(),
		tenantId: tenantRef(),
		name: text("name").notNull(),
		prefix: text("prefix").notNull(),
		keyHash: text("key_hash").notNull().unique(),
		createdAt: createdAt(),
		lastUsedAt: integer("last_used_at", { mode: "number" }),
		revokedAt: integer("revoked_at", { mode: "number" }),
		/** What the key may do: a JSON array, a non-empty subset of ["ingest","read"] (lib/scopes.ts). */
		scopes: text("scopes", { mode: "json" }).$type<Scope[]>().notNull().default(DEFAULT_SCOPES),
	},
	(t) => [index("api_keys_tenant").on(t.tenantId)],
);

/**
 * One row per sign-in (a refresh-token family). The refresh token in the
 * client's hands must be the family's current `refresh_jti`: presenting an
 * older one means it was copied, and the whole family is revoked. Access
 * tokens carry the family as `sid`, so revoking a session ends its access
 * tokens at once too.
 */
export const sessions = sqliteTable(
	"sessions",
	{
		id: text("id").primaryKey(),
		tenantId: tenantRef(),
		userId: userRef(),
		refreshJti: text("refresh_jti").notNull(),
		createdAt: createdAt(),
		lastUsedAt: integer("last_used_at", { mode: "number" }),
		expiresAt: integer("expires_at", { mode: "number" }).notNull(),
		revokedAt: integer("revoked_at", { mode: "number" }),
		revokedReason: text("revoked_reason"),
		userAgent: text("user_agent"),
	},
	(t) => [index("sessions_user").on(t.userId), index("sessions_expires").on(t.expiresAt)],
);

/**
 * Failed sign-ins in a row per tenant slug and email, whether or not such an
 * account exists, so that a lockout says nothing about which accounts do.
 */
export const loginAttempts = sqliteTable("login_attempts", {
	key: text("key").primaryKey(),
	failures: integer("failures").notNull(),
	lockedUntil: integer("locked_until", { mode: "number" }),
	updatedAt: integer("updated_at", { mode: "number" }).notNull(),
	/**
	 * The audit entry of this run of failures (chosen when the run starts), so
	 * every failure of the run updates one entry instead of adding one.
	 */
	auditId: text("audit_id"),
});

/**
 * Counters of anonymous clients (per address: registrations, sign-ins, reset
 * requests) and of reset emails per recipient. `key` is `<limit>:<SHA-256 of
 * the subject>`; a window starts with its first hit and ends at
 * `window_ends_at`, after which the next hit starts a new one and the
 * hourly housekeeping deletes the row.
 */
export const anonymousLimits = sqliteTable(
	"anonymous_limits",
	{
		key: text("key").primaryKey(),
		count: integer("count").notNull(),
		windowEndsAt: integer("window_ends_at", { mode: "number" }).notNull(),
	},
	(t) => [index("anonymous_limits_window_ends").on(t.windowEndsAt)],
);

/** Password reset tokens, stored as SHA-256; single use, valid one hour. */
export const passwordResets = sqliteTable(
	"password_resets",
	{
		tokenHash: text("token_hash").primaryKey(),
		tenantId: tenantRef(),
		userId: userRef(),
		createdAt: createdAt(),
		expiresAt: integer("expires_at", { mode: "number" }).notNull(),
		usedAt: integer("used_at", { mode: "number" }),
	},
	(t) => [index("password_resets_user").on(t.userId), index("password_resets_expires").on(t.expiresAt)],
);

export const ACTOR_TYPES = ["user", "anonymous", "system", "operator"] as const;

/**
 * Who did what in a tenant: sign-ins, password, user, role, key and setting
 * changes. Written in the same D1 batch as the change it records.
 */
export const auditLog = sqliteTable(
	"audit_log",
	{
		id: text("id").primaryKey(),
		tenantId: text("tenant_id").notNull(),
		at: integer("at", { mode: "number" }).notNull(),
		actorType: text("actor_type", { enum: ACTOR_TYPES }).notNull(),
		actorId: text("actor_id"),
		actorEmail: text("actor_email"),
		action: text("action").notNull(),
		targetType: text("target_type"),
		targetId: text("target_id"),
		details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
		ip: text("ip"),
		userAgent: text("user_agent"),
		requestId: text("request_id"),
	},
	(t) => [index("audit_log_tenant_at").on(t.tenantId, t.at, t.id)],
);

/**
 * Durable events. Written in batches by the tenant object's flush, never on the
 * request path. `(tenant_id, event_id)` is unique so a replayed flush is a no-op
 * and GET by id is one lookup. Search walks `(tenant_id, timestamp, event_id)`
 * newest first; filters on few-valued columns (type, severity, method, status,
 * source, endpoint) ride that scan. Only the needle-in-a-haystack filters get
 * their own index, and a partial one: events without a user or session cost
 * those indexes nothing at insert, which is where a single-writer flush spends.
 */
export const events = sqliteTable(
	"events",
	{
		tenantId: text("tenant_id").notNull(),
		eventId: text("event_id").notNull(),
		eventType: text("event_type", { enum: EVENT_TYPES }).notNull(),
		timestamp: integer("timestamp", { mode: "number" }).notNull(),
		receivedAt: integer("received_at", { mode: "number" }).notNull(),
		source: text("source"),
		severity: text("severity", { enum: SEVERITIES }).notNull(),
		endpoint: text("endpoint"),
		method: text("method"),
		statusCode: integer("status_code"),
		responseTimeMs: real("response_time_ms"),
		userId: text("user_id"),
		sessionId: text("session_id"),
		payload: text("payload"),
		tags: text("tags"),
	},
	(t) => [
		uniqueIndex("events_tenant_event_id").on(t.tenantId, t.eventId),
		index("events_tenant_time").on(t.tenantId, t.timestamp, t.eventId),
		index("events_tenant_user_time").on(t.tenantId, t.userId, t.timestamp).where(sql`user_id IS NOT NULL`),
		index("events_tenant_session_time").on(t.tenantId, t.sessionId, t.timestamp).where(sql`session_id IS NOT NULL`),
	],
);

export type TenantRow = typeof tenants.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

export * from "./alerting";
