CREATE TABLE "events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"lat" double precision,
	"lng" double precision,
	"prev_lat" double precision,
	"prev_lng" double precision,
	"kind" "post_kind",
	"category" "post_category",
	"author_id" uuid,
	"audience" uuid[],
	"data" jsonb NOT NULL,
	"author_data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");