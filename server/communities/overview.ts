// Read-only views for organizers: the volunteer roster (who helps, how much,
// how reliably) and coverage (where and when needs go without a helper).
import type { DB } from '../../db';
import { invalid } from '../http/problem';
import { fittingPairs } from '../matching/pairs';
import { requireRole } from '../access';
import { communitiesRepo } from './repository';
import { organizingRepo, type RosterOffer } from './organizing-repository';

const DAY = 86_400_000;

/**
 * Helpers: members with an open offer in the community or a match as helper
 * in the last 30 days; their offers (next windows, languages), and their
 * record — accepted in 30 days, completed, cancelled after accepting.
 */
export async function roster(db: DB, actor: { id: string }, communityId: string, now: Date) {
  await requireRole(db, communityId, actor, 'organizer');
  const since = new Date(now.getTime() - 30 * DAY);
  const offers = await organizingRepo.rosterOffers(db, actor.id, communityId, now, new Date(now.getTime() + 365 * DAY));
  const people = await organizingRepo.helperRecords(db, actor.id, communityId, since);
  const byAuthor = new Map<string, RosterOffer[]>();
  for (const o of offers) {
    byAuthor.set(o.authorId, [...(byAuthor.get(o.authorId) ?? []), o]);
  }
  return people
    .filter((p) => byAuthor.has(p.userId) || p.accepted30d + p.completed + p.cancelledAfterAccepting > 0)
    .map((p) => {
      const mine = byAuthor.get(p.userId) ?? [];
      const languages = new Set<string>();
      for (const o of mine) {
        for (const l of o.details.languages ?? []) {
          languages.add(l);
        }
      }
      return {
        user: { id: p.userId, displayName: p.displayName },
        offers: mine.map((o) => ({ id: o.id, category: o.category, title: o.title, nextWindows: o.nextWindows })),
        languages: [...languages].sort(),
        acceptedLast30Days: p.accepted30d,
        completed: p.completed,
        cancelledAfterAccepting: p.cancelledAfterAccepting,
      };
    })
    .sort((a, b) => b.acceptedLast30Days - a.acceptedLast30Days || a.user.displayName.localeCompare(b.user.displayName));
}

/**
 * Needs and offers over [from, to), on a grid of cells about `cellM` metres
 * wide, per category, and per day in the community's zone, with how many of
 * the needs no member's offer of those days can serve (`unserved`, `gap`):
 * where help is missing, and when. "Serve" is what triage and plans count
 * (server/matching/pairs.ts, every matching rule); a member's need is judged
 * at its true place, anyone else's at its public point, as coverage places
 * them.
 */
export async function coverage(db: DB, actor: { id: string }, communityId: string, q: { from: string; to: string; cellM?: number | undefined }, now: Date) {
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
  const mid = (await communitiesRepo.middle(db, communityId))!;
  const dLat = cellM / 111_320;
  const dLng = cellM / (111_320 * Math.cos((mid.lat * Math.PI) / 180));
  const [needs, offers] = await Promise.all([
    organizingRepo.countedNeeds(db, actor.id, communityId, { from, to }),
    organizingRepo.openPosts(db, actor.id, communityId, 'offer', { from, to }, now, { limit: 1_000_000 }),
  ]);
  const members = new Set(needs.filter((n) => n.member).map((n) => n.id));
  const { byNeed } = await fittingPairs(db, {
    needIds: needs.map((n) => n.id),
    offerIds: offers.map((o) => o.id),
    now,
    place: { need: (row) => (members.has(row.id) ? 'exact' : 'public'), offer: () => 'exact' },
    notBlockedWith: actor.id,
    stopAt: 1,
  });
  const unserved = needs.filter((n) => (byNeed.get(n.id)?.length ?? 0) === 0).map((n) => n.id);
  const counts = await organizingRepo.coverageCounts(db, actor.id, communityId, { from, to }, { dLng, dLat, timezone: mid.timezone }, unserved);
  type Counts = { needs: number; offers: number; unserved: number };
  const cells = new Map<string, { gx: number; gy: number; byCategory: Map<string, Counts> }>();
  for (const r of counts.cells) {
    const key = `${r.gx}:${r.gy}`;
    const cell = cells.get(key) ?? { gx: r.gx, gy: r.gy, byCategory: new Map<string, Counts>() };
    cells.set(key, cell);
    const c = cell.byCategory.get(r.category) ?? { needs: 0, offers: 0, unserved: 0 };
    c[r.kind === 'need' ? 'needs' : 'offers'] += r.n;
    c.unserved += r.unserved;
    cell.byCategory.set(r.category, c);
  }
  const days = new Map<string, Counts>();
  for (const r of counts.days) {
    const d = days.get(r.day) ?? { needs: 0, offers: 0, unserved: 0 };
    d[r.kind === 'need' ? 'needs' : 'offers'] += r.n;
    d.unserved += r.unserved;
    days.set(r.day, d);
  }
  const round = (x: number) => Number(x.toFixed(6));
  return {
    cellM,
    cells: [...cells.values()].map((cell) => {
      const byCategory = Object.fromEntries([...cell.byCategory].sort());
      const needs = [...cell.byCategory.values()].reduce((s, c) => s + c.needs, 0);
      const offers = [...cell.byCategory.values()].reduce((s, c) => s + c.offers, 0);
      // The gap: the cell's needs no member's offer can serve (wherever that offer is).
      const gap = [...cell.byCategory.values()].reduce((s, c) => s + c.unserved, 0);
      return {
        bbox: [round(cell.gx * dLng), round(cell.gy * dLat), round((cell.gx + 1) * dLng), round((cell.gy + 1) * dLat)],
        needs,
        offers,
        gap,
        byCategory,
      };
    }),
    days: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([date, c]) => ({ date, needs: c.needs, offers: c.offers, gap: c.unserved })),
  };
}
