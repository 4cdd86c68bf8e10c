-- Reverses 0001_progressive_delivery.sql (hand-written: drizzle-kit generates only the up path).
DROP INDEX `webhook_deliveries_due`;--> statement-breakpoint
DROP INDEX `webhook_deliveries_once`;--> statement-breakpoint
DROP TABLE `webhook_deliveries`;--> statement-breakpoint
DROP TABLE `webhooks`;--> statement-breakpoint
DROP TABLE `webhook_cursor`;--> statement-breakpoint
DROP INDEX `sdk_instances_last_seen`;--> statement-breakpoint
DROP TABLE `sdk_instances`;--> statement-breakpoint
DROP INDEX `ramp_plans_next_at`;--> statement-breakpoint
DROP TABLE `ramp_plans`;--> statement-breakpoint
DROP TABLE `guard_outcomes`;--> statement-breakpoint
DROP TABLE `guard_exposures`;
