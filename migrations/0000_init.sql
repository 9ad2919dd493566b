CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`tenant_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL,
	`source` text,
	`severity` text NOT NULL,
	`endpoint` text,
	`method` text,
	`status_code` integer,
	`response_time_ms` real,
	`user_id` text,
	`session_id` text,
	`payload` text,
	`tags` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_event_id` ON `events` (`tenant_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `events_tenant_time` ON `events` (`tenant_id`,`timestamp`,`event_id`);--> statement-breakpoint
CREATE INDEX `events_tenant_user_time` ON `events` (`tenant_id`,`user_id`,`timestamp`) WHERE user_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `events_tenant_session_time` ON `events` (`tenant_id`,`session_id`,`timestamp`) WHERE session_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`rate_limit_per_minute` integer DEFAULT 10000 NOT NULL,
	`retention_days` integer DEFAULT 30 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_slug_unique` ON `tenants` (`slug`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`email` text NOT NULL,
	`full_name` text,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_email` ON `users` (`tenant_id`,`email`);