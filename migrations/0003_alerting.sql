CREATE TABLE `alert_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_channels_tenant` ON `alert_channels` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`enabled` integer NOT NULL,
	`severity` text NOT NULL,
	`condition` text NOT NULL,
	`for_seconds` integer NOT NULL,
	`resolve_threshold` real,
	`no_data` text NOT NULL,
	`labels` text NOT NULL,
	`runbook_url` text,
	`channel_ids` text NOT NULL,
	`escalation_policy_id` text,
	`cooldown_seconds` integer NOT NULL,
	`auto_resolve` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_tenant` ON `alert_rules` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `alert_timeline` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`alert_id` text NOT NULL,
	`at` integer NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `alert_timeline_alert` ON `alert_timeline` (`tenant_id`,`alert_id`,`seq`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`rule_name` text NOT NULL,
	`severity` text NOT NULL,
	`status` text NOT NULL,
	`metric` text NOT NULL,
	`value` real,
	`threshold` real NOT NULL,
	`labels` text NOT NULL,
	`escalation_policy_id` text,
	`triggered_at` integer NOT NULL,
	`acknowledged_at` integer,
	`acknowledged_by` text,
	`resolved_at` integer,
	`escalation_level` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alerts_tenant_time` ON `alerts` (`tenant_id`,`triggered_at`,`id`);--> statement-breakpoint
CREATE INDEX `alerts_open` ON `alerts` (`status`,`tenant_id`);--> statement-breakpoint
CREATE TABLE `escalation_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`steps` text NOT NULL,
	`repeat` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `escalation_policies_tenant` ON `escalation_policies` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`alert_id` text,
	`channel_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_tenant_time` ON `notifications` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_pending` ON `notifications` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `silences` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`rule_id` text,
	`labels` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`comment` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `silences_tenant` ON `silences` (`tenant_id`,`ends_at`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `alerting_version` integer DEFAULT 0 NOT NULL;