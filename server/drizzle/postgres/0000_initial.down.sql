-- Reverses 0000_initial.sql (hand-written: drizzle-kit generates only the up path).
-- Dropping a table drops its indexes and constraints; tables referring to environments go first.
DROP TABLE "tokens";--> statement-breakpoint
DROP TABLE "evaluation_metrics";--> statement-breakpoint
DROP TABLE "changes";--> statement-breakpoint
DROP TABLE "segments";--> statement-breakpoint
DROP TABLE "flags";--> statement-breakpoint
DROP TABLE "audit";--> statement-breakpoint
DROP TABLE "environments";
