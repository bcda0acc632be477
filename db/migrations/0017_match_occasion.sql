ALTER TABLE "matches" ADD COLUMN "starts_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "matches" ADD COLUMN "ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "matches" ADD COLUMN "acted_by" uuid;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_acted_by_users_id_fk" FOREIGN KEY ("acted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Matches proposed before the occasion was stored: the rule proposals now
-- follow (server/matching/score.ts overlapWindows, server/matches/service.ts),
-- once, in SQL: the earliest overlap of a need window and an offer window
-- lasting at least min(30 minutes, the need window) that had not ended when
-- it was proposed (for an accepted one, when it was accepted). Suggestions
-- keep none: theirs is worked out when read.
UPDATE "matches" m SET "starts_at" = lower(o.during), "ends_at" = upper(o.during)
FROM (
  SELECT x.id, (
    SELECT nw.during * ow.during
    FROM "post_windows" nw JOIN "post_windows" ow ON ow.post_id = x.offer_id AND nw.during && ow.during
    WHERE nw.post_id = x.need_id
      AND upper(nw.during * ow.during) > coalesce(x.accepted_at, x.updated_at)
      AND upper(nw.during * ow.during) - lower(nw.during * ow.during) >= least(interval '30 minutes', upper(nw.during) - lower(nw.during))
    ORDER BY lower(nw.during * ow.during), upper(nw.during * ow.during)
    LIMIT 1
  ) AS during
  FROM "matches" x
  WHERE x.status <> 'suggested'
) o
WHERE m.id = o.id AND o.during IS NOT NULL;--> statement-breakpoint
-- Who acted last, where the state tells: the proposer of a proposal; the other side of an answered one.
UPDATE "matches" m SET "acted_by" = CASE
    WHEN m.status = 'proposed' THEN m.proposed_by
    WHEN m.proposed_by = o.author_id THEN n.author_id
    ELSE o.author_id
  END
FROM "posts" n, "posts" o
WHERE n.id = m.need_id AND o.id = m.offer_id AND m.proposed_by IS NOT NULL AND m.status IN ('proposed', 'accepted', 'declined');
