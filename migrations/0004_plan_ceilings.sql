ALTER TABLE `tenants` ADD `max_rate_limit_per_minute` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `max_retention_days` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `suspended_at` integer;--> statement-breakpoint
-- NULL ceilings mean "the plan default" (PLAN_MAX_* variables). A tenant that already chose a value
-- above the shipped defaults (100,000 a minute, 90 days) keeps it as its explicit ceiling, so the
-- migration changes no running tenant's limits; an operator can lower it.
UPDATE `tenants` SET `max_rate_limit_per_minute` = `rate_limit_per_minute` WHERE `rate_limit_per_minute` > 100000;--> statement-breakpoint
UPDATE `tenants` SET `max_retention_days` = `retention_days` WHERE `retention_days` > 90;--> statement-breakpoint
CREATE INDEX `tenants_created_at` ON `tenants` (`created_at`,`id`);
