CREATE TYPE "public"."post_category" AS ENUM('ride', 'meal', 'tutoring', 'grocery', 'errand', 'childcare', 'repair', 'lending', 'companionship', 'other');--> statement-breakpoint
CREATE TYPE "public"."post_kind" AS ENUM('need', 'offer');--> statement-breakpoint
CREATE TYPE "public"."post_status" AS ENUM('open', 'matched', 'fulfilled', 'cancelled');--> statement-breakpoint
CREATE TABLE "post_windows" (
	"post_id" uuid NOT NULL,
	"during" "tstzrange" NOT NULL,
	"recurring" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"author_id" uuid NOT NULL,
	"kind" "post_kind" NOT NULL,
	"category" "post_category" NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"location" geography(Point,4326) NOT NULL,
	"public_location" geography(Point,4326) NOT NULL,
	"location_precision_m" integer NOT NULL,
	"radius_m" integer NOT NULL,
	"destination" geography(Point,4326),
	"public_destination" geography(Point,4326),
	"capacity" integer NOT NULL,
	"capacity_left" integer NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"windows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"recurrence" jsonb,
	"status" "post_status" DEFAULT 'open' NOT NULL,
	"ends_at" timestamp with time zone,
	"recurrence_from_at" timestamp with time zone,
	"windows_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "posts_capacity_check" CHECK ("posts"."capacity" >= 1 AND "posts"."capacity_left" >= 0 AND "posts"."capacity_left" <= "posts"."capacity"),
	CONSTRAINT "posts_radius_check" CHECK ("posts"."radius_m" BETWEEN 100 AND 50000)
);
--> statement-breakpoint
CREATE TABLE "secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"display_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "post_windows" ADD CONSTRAINT "post_windows_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "post_windows_during_gix" ON "post_windows" USING gist ("during");--> statement-breakpoint
CREATE UNIQUE INDEX "post_windows_post_during_key" ON "post_windows" USING btree ("post_id","during");--> statement-breakpoint
CREATE INDEX "posts_location_gix" ON "posts" USING gist ("location");--> statement-breakpoint
CREATE INDEX "posts_destination_gix" ON "posts" USING gist ("destination");--> statement-breakpoint
CREATE INDEX "posts_public_location_gix" ON "posts" USING gist (("public_location"::geometry));--> statement-breakpoint
CREATE INDEX "posts_public_destination_gix" ON "posts" USING gist ("public_destination");--> statement-breakpoint
CREATE INDEX "posts_created_idx" ON "posts" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "posts_author_idx" ON "posts" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "posts_windows_until_idx" ON "posts" USING btree ("windows_until");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");