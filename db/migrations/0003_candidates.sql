-- Candidates (server/matching/candidates.ts) as one index scan. Equality keys
-- in a GiST need btree_gist; the hours-of-week signature needs intarray (PGlite
-- loads both from its contrib, db/index.ts).
CREATE EXTENSION IF NOT EXISTS btree_gist;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS intarray;--> statement-breakpoint
-- The hours of the week (UTC, 0–167, counted from the epoch's Thursday) a window touches.
CREATE FUNCTION week_hours(during tstzrange) RETURNS int[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT COALESCE(array_agg(DISTINCT (h % 168)::int), '{}')
  FROM generate_series(floor(date_part('epoch', lower(during)) / 3600)::bigint,
                       ceil(date_part('epoch', upper(during)) / 3600)::bigint - 1) h
$$;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "schedule" "tstzmultirange" DEFAULT '{}'::tstzmultirange NOT NULL;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "week_hours" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
UPDATE "posts" p SET "schedule" = w.schedule, "week_hours" = w.week_hours
FROM (
  SELECT post_id, range_agg(during) AS schedule, uniq(sort(array_agg(h))) AS week_hours
  FROM "post_windows", unnest(week_hours(during)) h GROUP BY post_id
) w
WHERE w.post_id = p.id;--> statement-breakpoint
ALTER TABLE "matches" ADD COLUMN "helper_id" uuid;--> statement-breakpoint
UPDATE "matches" m SET "helper_id" = o.author_id FROM "posts" o WHERE o.id = m.offer_id;--> statement-breakpoint
ALTER TABLE "matches" ALTER COLUMN "helper_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_helper_id_users_id_fk" FOREIGN KEY ("helper_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "matches_helper_accepted_idx" ON "matches" USING btree ("helper_id","accepted_at") WHERE "matches"."status" IN ('accepted', 'completed');--> statement-breakpoint
-- Replaces posts_location_gix: nothing else searches by the true point.
DROP INDEX "posts_location_gix";--> statement-breakpoint
CREATE INDEX "posts_match_gix" ON "posts" USING gist ("category","kind","location","schedule","week_hours" gist__intbig_ops (siglen = 24)) WHERE "posts"."status" = 'open';--> statement-breakpoint
CREATE INDEX "posts_open_radius_idx" ON "posts" USING btree ("kind","category","radius_m") WHERE "posts"."status" = 'open';--> statement-breakpoint
-- A post's windows with their `recurring` flag by an index-only scan (drizzle cannot express INCLUDE).
DROP INDEX "post_windows_post_during_key";--> statement-breakpoint
CREATE UNIQUE INDEX "post_windows_post_during_key" ON "post_windows" USING btree ("post_id","during") INCLUDE ("recurring");
