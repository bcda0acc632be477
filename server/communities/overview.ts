// Read-only views for organizers: the volunteer roster (who helps, how much,
// how reliably) and coverage (where and when unmet needs outnumber offers).
import type { DB } from '../../db';
import { invalid } from '../http/problem';
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
  const mid = (await communitiesRepo.middle(db, communityId))!;
  const dLat = cellM / 111_320;
  const dLng = cellM / (111_320 * Math.cos((mid.lat * Math.PI) / 180));
  const counts = await organizingRepo.coverageCounts(db, actor.id, communityId, { from, to }, { dLng, dLat, timezone: mid.timezone });
  type Counts = { needs: number; offers: number };
  const cells = new Map<string, { gx: number; gy: number; byCategory: Map<string, Counts> }>();
  for (const r of counts.cells) {
    const key = `${r.gx}:${r.gy}`;
    const cell = cells.get(key) ?? { gx: r.gx, gy: r.gy, byCategory: new Map<string, Counts>() };
    cells.set(key, cell);
    const c = cell.byCategory.get(r.category) ?? { needs: 0, offers: 0 };
    c[r.kind === 'need' ? 'needs' : 'offers'] += r.n;
    cell.byCategory.set(r.category, c);
  }
  const days = new Map<string, Counts>();
  for (const r of counts.days) {
    const d = days.get(r.day) ?? { needs: 0, offers: 0 };
    d[r.kind === 'need' ? 'needs' : 'offers'] += r.n;
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
