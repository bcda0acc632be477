ALTER TABLE "posts" ADD COLUMN "stored_windows" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
-- Posts written before the column: their post_windows, as postsRepo writes them from now on.
UPDATE "posts" p SET "stored_windows" = s.list
FROM (
  SELECT w.post_id, json_agg(json_build_array(date_part('epoch', lower(w.during)), date_part('epoch', upper(w.during)), w.recurring) ORDER BY w.during) AS list
  FROM "post_windows" w GROUP BY w.post_id
) s
WHERE s.post_id = p.id;
