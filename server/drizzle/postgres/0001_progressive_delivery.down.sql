-- Reverses 0001_progressive_delivery.sql (hand-written: drizzle-kit generates only the up path).
-- Dropping a table drops its indexes and constraints.
DROP TABLE "webhook_deliveries";--> statement-breakpoint
DROP TABLE "webhooks";--> statement-breakpoint
DROP TABLE "webhook_cursor";--> statement-breakpoint
DROP TABLE "sdk_instances";--> statement-breakpoint
DROP TABLE "ramp_plans";--> statement-breakpoint
DROP TABLE "guard_outcomes";--> statement-breakpoint
DROP TABLE "guard_exposures";
