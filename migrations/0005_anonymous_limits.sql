CREATE TABLE `anonymous_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`count` integer NOT NULL,
	`window_ends_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `anonymous_limits_window_ends` ON `anonymous_limits` (`window_ends_at`);--> statement-breakpoint
ALTER TABLE `login_attempts` ADD `audit_id` text;
