CREATE TABLE "audit" (
	"id" integer PRIMARY KEY NOT NULL,
	"at" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_name" text NOT NULL,
	"action" text NOT NULL,
	"target_kind" text NOT NULL,
	"target_key" text NOT NULL,
	"environment" text,
	"reason" text,
	"before" json,
	"after" json,
	"diff" json NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"environment" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"value" json,
	CONSTRAINT "changes_environment_seq_pk" PRIMARY KEY("environment","seq")
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"seq" integer DEFAULT 0 NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evaluation_metrics" (
	"environment" text NOT NULL,
	"flag" text NOT NULL,
	"variant" text NOT NULL,
	"reason" text NOT NULL,
	"window_start" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "evaluation_metrics_environment_flag_variant_reason_window_start_pk" PRIMARY KEY("environment","flag","variant","reason","window_start")
);
--> statement-breakpoint
CREATE TABLE "flags" (
	"key" text PRIMARY KEY NOT NULL,
	"document" json NOT NULL,
	"version" integer NOT NULL,
	"created_at" text NOT NULL,
	"updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"key" text PRIMARY KEY NOT NULL,
	"document" json NOT NULL,
	"version" integer NOT NULL,
	"created_at" text NOT NULL,
	"updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"environment" text,
	"hash" text NOT NULL,
	"created_at" text NOT NULL,
	"revoked_at" text,
	CONSTRAINT "tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
ALTER TABLE "changes" ADD CONSTRAINT "changes_environment_environments_key_fk" FOREIGN KEY ("environment") REFERENCES "public"."environments"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_metrics" ADD CONSTRAINT "evaluation_metrics_environment_environments_key_fk" FOREIGN KEY ("environment") REFERENCES "public"."environments"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_environment_environments_key_fk" FOREIGN KEY ("environment") REFERENCES "public"."environments"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_target" ON "audit" USING btree ("target_kind","target_key");--> statement-breakpoint
CREATE INDEX "audit_action" ON "audit" USING btree ("action");--> statement-breakpoint
CREATE INDEX "audit_actor" ON "audit" USING btree ("actor_name");--> statement-breakpoint
CREATE INDEX "audit_at" ON "audit" USING btree ("at");