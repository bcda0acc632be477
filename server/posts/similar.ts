// "A neighbor already asked for this": open posts like the one being
// written — same kind and category, near, meeting in time — the writer's own
// first. Others are found and measured by their public points, so the
// distance shown says no more than the map does.
import { and, eq, sql } from 'drizzle-orm';
import { type Executor, posts, users } from '../../db';
import { invalid } from '../http/problem';
import { postColumns, type PostRow } from './repository';
import { notBlocked, accountActive } from '../access';

/** How far to look around the point being written (metres). */
export const SIMILAR_RADIUS_M = 1500;

export interface SimilarQuery {
  kind: 'need' | 'offer';
  category: string;
  lat: number;
  lng: number;
  start: string;
  end: string;
}

export async function similarPosts(db: Executor, viewerId: string, q: SimilarQuery, now: Date): Promise<{ row: PostRow; distanceM: number; mine: boolean }[]> {
  const start = new Date(q.start);
  const end = new Date(q.end);
  if (!(end > start)) {
    throw invalid([{ path: '/end', message: 'must be after start', code: 'range.end_before_start' }], 'query string');
  }
  const point = sql`ST_SetSRID(ST_MakePoint(${q.lng}, ${q.lat}), 4326)::geography`;
  const mine = sql`${posts.authorId} = ${viewerId}`;
  const distance = sql<number>`ST_Distance(CASE WHEN ${mine} THEN ${posts.location} ELSE ${posts.publicLocation} END, ${point})`;
  const rows = await db
    .select({
      ...postColumns,
      authorName: users.displayName,
      distanceM: distance,
      mine: sql<boolean>`${mine}`,
    })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(
      and(
        eq(posts.status, 'open'),
        sql`${posts.kind} = ${q.kind}`,
        sql`${posts.category}::text = ${q.category}`,
        sql`(${posts.endsAt} IS NULL OR ${posts.endsAt} > ${now.toISOString()}::timestamptz)`,
        sql`${posts.schedule} && tstzrange(${start.toISOString()}::timestamptz, ${end.toISOString()}::timestamptz, '[)')`,
        sql`ST_DWithin(CASE WHEN ${mine} THEN ${posts.location} ELSE ${posts.publicLocation} END, ${point}, ${SIMILAR_RADIUS_M})`,
        notBlocked(viewerId, sql`${posts.authorId}`),
        accountActive(sql`${posts.authorId}`),
      ),
    )
    .orderBy(sql`${mine} DESC`, distance, posts.createdAt)
    .limit(10);
  return rows.map(({ distanceM, mine: own, ...row }) => ({ row: row as PostRow, distanceM: Math.round(Number(distanceM) / 100) * 100, mine: own }));
}
