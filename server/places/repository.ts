import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../../db';

export const placesRepo = {
  /**
   * Whether the viewer wrote the other post of an accepted (or completed)
   * match with this post: both parties then see both places exactly, as
   * the match itself shows them (matches/service.ts, matchView).
   */
  async acceptedPartyOf(db: Executor, viewerId: string, postId: string): Promise<boolean> {
    const rows = rowsOf(
      await db.execute(sql`SELECT 1 FROM matches m
        JOIN posts other ON other.id = CASE WHEN m.need_id = ${postId} THEN m.offer_id ELSE m.need_id END
        WHERE (m.need_id = ${postId} OR m.offer_id = ${postId}) AND m.status IN ('accepted', 'completed')
          AND other.author_id = ${viewerId}
        LIMIT 1`),
    );
    return rows.length > 0;
  },
};
