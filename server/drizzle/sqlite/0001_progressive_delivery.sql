CREATE TABLE `guard_exposures` (
	`run_id` text NOT NULL,
	`variant` text NOT NULL,
	`unit` text NOT NULL,
	`first_at` text NOT NULL,
	PRIMARY KEY(`run_id`, `variant`, `unit`)
);
--> statement-breakpoint
CREATE TABLE `guard_outcomes` (
	`run_id` text NOT NULL,
	`event` text NOT NULL,
	`variant` text NOT NULL,
	`unit` text NOT NULL,
	`count` integer NOT NULL,
	`value_count` integer NOT NULL,
	`value_sum` real NOT NULL,
	PRIMARY KEY(`run_id`, `event`, `variant`, `unit`)
);
--> statement-breakpoint
CREATE TABLE `ramp_plans` (
	`flag` text NOT NULL,
	`environment` text NOT NULL,
	`run_id` text NOT NULL,
	`definition` text NOT NULL,
	`status` text NOT NULL,
	`current_step` integer NOT NULL,
	`step_started_at` text,
	`next_at` text,
	`paused_remaining_ms` integer,
	`ended_reason` text,
	`history` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`flag`, `environment`)
);
--> statement-breakpoint
CREATE INDEX `ramp_plans_next_at` ON `ramp_plans` (`next_at`);--> statement-breakpoint
CREATE TABLE `sdk_instances` (
	`environment` text NOT NULL,
	`instance_id` text NOT NULL,
	`token_id` text NOT NULL,
	`sdk` text NOT NULL,
	`sdk_version` text NOT NULL,
	`ruleset_version` integer,
	`first_seen_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	PRIMARY KEY(`environment`, `instance_id`)
);
--> statement-breakpoint
CREATE INDEX `sdk_instances_last_seen` ON `sdk_instances` (`last_seen_at`);--> statement-breakpoint
CREATE TABLE `webhook_cursor` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_audit_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`audit_id` integer NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` text,
	`lease_until` text,
	`log` text NOT NULL,
	`created_at` text NOT NULL,
	`finished_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_once` ON `webhook_deliveries` (`webhook_id`,`audit_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`events` text NOT NULL,
	`description` text NOT NULL,
	`after_audit_id` integer NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text NOT NULL
);
