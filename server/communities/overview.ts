// Read-only views for organizers: the volunteer roster (who helps, how much,
// how reliably) and coverage (where and when unmet needs outnumber offers).
import { sql } from 'drizzle-orm';
import { type DB, rowsOf } from '../../db';
import { invalid } from '../http/problem';
import { requireRole, notBlocked, activeMember, countedIn, inBoundary, memberPost, nearBoundary } from '../access';

const DAY = 86_400_000;

/**
 * Open posts of a kind with a window in [from, to): `rows`, the members' posts
 * the organizer may act on (memberPost), for the roster; `counts`, also
 * everyone else's at their public points (countedIn), for coverage's
 * aggregate figures only.
 */
function belongingOpen(organizerId: string, communityId: string, kind: 'need' | 'offer', from: Date, to: Date, scope: 'rows' | 'counts') {
  return sql`
    SELECT p.id, p.author_id, p.category, p.title, p.details, p.capacity_left,
      -- An organizer may know the exact place of members' posts only (joining is the consent).
      CASE WHEN ${activeMember(sql`me.id`, sql`p.author_id`)} THEN p.location ELSE p.public_location END AS location
    FROM communities me
    JOIN posts p ON ${scope === 'rows' ? inBoundary(sql`me.boundary`) : nearBoundary(sql`me.boundary`)}
    WHERE me.id = ${communityId} AND p.status = 'open' AND p.kind = ${kind}
      AND EXISTS (SELECT 1 FROM post_windows w WHERE w.post_id = p.id
        AND w.during && tstzrange(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, '[)'))
      AND ${scope === 'rows' ? memberPost(sql`me.id`, organizerId) : countedIn(sql`me.id`, organizerId)}`;
}

/**
 * Helpers: members with an open offer in the community or a match as helper
 * in the last 30 days; their offers (next windows, languages), and their
 * record — accepted in 30 days, completed, cancelled after accepting.
 */
export async function roster(db: DB, actor: { id: string }, communityId: string, now: Date) {
  await requireRole(db, communityId, actor, 'organizer');
  const since = new Date(now.getTime() - 30 * DAY).toISOString();
  const offers = rowsOf<{ id: string; author_id: string; category: string; title: string; details: Record<string, unknown> | string; next: string[] | null }>(
    await db.execute(sql`
      SELECT o.id, o.author_id, o.category, o.title, o.details,
        (SELECT array_agg(to_char(lower(w.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ORDER BY lower(w.during))
           FROM (SELECT during FROM post_windows w WHERE w.post_id = o.id AND upper(w.during) > ${now.toISOString()}::timestamptz ORDER BY lower(w.during) LIMIT 3) w) AS next
      FROM (${belongingOpen(actor.id, communityId, 'offer', now, new Date(now.getTime() + 365 * DAY), 'rows')}) o`),
  );
  const people = rowsOf<{ user_id: string; display_name: string; accepted_30d: number; completed: number; cancelled_after_accepting: number }>(
    await db.execute(sql`
      SELECT m.user_id, u.display_name,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.accepted_at > ${since}::timestamptz) AS accepted_30d,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.status = 'completed') AS completed,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.status = 'cancelled' AND x.accepted_at IS NOT NULL) AS cancelled_after_accepting
      FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.community_id = ${communityId} AND m.suspended_at IS NULL AND ${notBlocked(actor.id, sql`m.user_id`)}
      ORDER BY u.display_name, m.user_id`),
  );
  const byAuthor = new Map<string, typeof offers>();
  for (const o of offers) {
    byAuthor.set(o.author_id, [...(byAuthor.get(o.author_id) ?? []), o]);
  }
  return people
    .filter((p) => byAuthor.has(p.user_id) || Number(p.accepted_30d) + Number(p.completed) + Number(p.cancelled_after_accepting) > 0)
    .map((p) => {
      const mine = byAuthor.get(p.user_id) ?? [];
      const languages = new Set<string>();
      for (const o of mine) {
        const details = (typeof o.details === 'string' ? JSON.parse(o.details) : o.details) as { languages?: string[] };
        for (const l of details.languages ?? []) {
          languages.add(l);
        }
      }
      return {
        user: { id: p.user_id, displayName: p.display_name },
        offers: mine.map((o) => ({ id: o.id, category: o.category, title: o.title, nextWindows: o.next ?? [] })),
        languages: [...languages].sort(),
        acceptedLast30Days: Number(p.accepted_30d),
        completed: Number(p.completed),
        cancelledAfterAccepting: Number(p.cancelled_after_accepting),
      };
    })
    .sort((a, b) => b.acceptedLast30Days - a.acceptedLast30Days || a.user.displayName.localeCompare(b.user.displayName));
}

/**
 * Unmet needs against available offers over [from, to), on a grid of cells
 * about `cellM` metres wide, per category, and per day in the community's
 * zone: where help is missing, and when.
 */
export async function coverage(db: DB, actor: { id: string }, communityId: string, q: { from: string; to: string; cellM?: number | undefined }) {
  await requireRole(db, communityId, actor, 'organizer');
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(to > from)) {
    throw invalid([{ path: '/to', message: 'must be after from' }], 'query string');
  }
  if (to.getTime() - from.getTime() > 31 * DAY) {
    throw invalid([{ path: '/to', message: 'must be at most 31 days after from' }], 'query string');
  }
  const cellM = q.cellM ?? 500;
  // Cells in degrees: cellM of latitude, and of longitude at the community's middle latitude.
  const [mid] = rowsOf<{ lat: number; tz: string }>(
    await db.execute(sql`SELECT ST_Y(ST_Centroid(boundary::geometry)) AS lat, timezone AS tz FROM communities WHERE id = ${communityId}`),
  );
  const dLat = cellM / 111_320;
  const dLng = cellM / (111_320 * Math.cos((Number(mid!.lat) * Math.PI) / 180));
  const postsIn = sql`(
      (SELECT 'need' AS kind, * FROM (${belongingOpen(actor.id, communityId, 'need', from, to, 'counts')}) n)
      UNION ALL
      (SELECT 'offer' AS kind, * FROM (${belongingOpen(actor.id, communityId, 'offer', from, to, 'counts')}) o))`;
  const inRange = sql`w.during && tstzrange(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, '[)')`;
  const [cellRows, dayRows] = await Promise.all([
    db.execute(sql`
      SELECT p.kind, p.category::text AS category, count(*)::int AS n,
        floor(ST_X(p.location::geometry) / ${dLng})::int AS gx, floor(ST_Y(p.location::geometry) / ${dLat})::int AS gy
      FROM ${postsIn} p GROUP BY 1, 2, 4, 5`),
    // A post counts on each day (in the community's zone) it has a window.
    db.execute(sql`
      SELECT p.kind, to_char(lower(w.during) AT TIME ZONE ${mid!.tz}, 'YYYY-MM-DD') AS day, count(DISTINCT p.id)::int AS n
      FROM ${postsIn} p JOIN post_windows w ON w.post_id = p.id AND ${inRange}
      GROUP BY 1, 2`),
  ]);
  type Counts = { needs: number; offers: number };
  const cells = new Map<string, { gx: number; gy: number; byCategory: Map<string, Counts> }>();
  for (const r of rowsOf<{ kind: string; category: string; gx: number; gy: number; n: number }>(cellRows)) {
    const key = `${r.gx}:${r.gy}`;
    const cell = cells.get(key) ?? { gx: Number(r.gx), gy: Number(r.gy), byCategory: new Map<string, Counts>() };
    cells.set(key, cell);
    const c = cell.byCategory.get(r.category) ?? { needs: 0, offers: 0 };
    c[r.kind === 'need' ? 'needs' : 'offers'] += Number(r.n);
    cell.byCategory.set(r.category, c);
  }
  const days = new Map<string, Counts>();
  for (const r of rowsOf<{ kind: string; day: string; n: number }>(dayRows)) {
    const d = days.get(r.day) ?? { needs: 0, offers: 0 };
    d[r.kind === 'need' ? 'needs' : 'offers'] += Number(r.n);
    days.set(r.day, d);
  }
  const round = (x: number) => Number(x.toFixed(6));
  return {
    cellM,
    cells: [...cells.values()].map((cell) => {
      const byCategory = Object.fromEntries([...cell.byCategory].sort());
      const needs = [...cell.byCategory.values()].reduce((s, c) => s + c.needs, 0);
      const offers = [...cell.byCategory.values()].reduce((s, c) => s + c.offers, 0);
      // The gap counts, per category, the needs no offer of that category in the cell could cover.
      const gap = [...cell.byCategory.values()].reduce((s, c) => s + Math.max(0, c.needs - c.offers), 0);
      return {
        bbox: [round(cell.gx * dLng), round(cell.gy * dLat), round((cell.gx + 1) * dLng), round((cell.gy + 1) * dLat)],
        needs,
        offers,
        gap,
        byCategory,
      };
    }),
    days: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, ...c, gap: Math.max(0, c.needs - c.offers) })),
  };
}
