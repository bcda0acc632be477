ALTER TABLE "matches" ADD COLUMN "cancelled_late" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "still_needed_asked_at" timestamp with time zone;