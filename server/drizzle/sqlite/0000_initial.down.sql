-- Reverses 0000_initial.sql (hand-written: drizzle-kit generates only the up path).
DROP INDEX `tokens_hash_unique`;--> statement-breakpoint
DROP TABLE `tokens`;--> statement-breakpoint
DROP TABLE `segments`;--> statement-breakpoint
DROP TABLE `flags`;--> statement-breakpoint
DROP TABLE `evaluation_metrics`;--> statement-breakpoint
DROP TABLE `changes`;--> statement-breakpoint
DROP INDEX `audit_at`;--> statement-breakpoint
DROP INDEX `audit_actor`;--> statement-breakpoint
DROP INDEX `audit_action`;--> statement-breakpoint
DROP INDEX `audit_target`;--> statement-breakpoint
DROP TABLE `audit`;--> statement-breakpoint
DROP TABLE `environments`;
