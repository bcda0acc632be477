// Organizer tools over a community's open posts: triage (unmet needs, most
// urgent first, with their candidate counts) and bulk assignment (the
// candidate graph of a time range solved exactly by server/assign, then
// applied as proposals the helpers answer).
import type { DB } from '../../db';
import { solveAssignment, type AssignEdge } from '../assign/solve';
import { conflict, HttpProblem, invalid } from '../http/problem';
import { AUTHOR_VIEW, countCandidates, ENTITLED_VIEW, findCandidates } from '../matching/candidates';
import { proposeAsOrganizer } from '../matches/service';
import { postsRepo } from '../posts/repository';
import { audit } from './service';
import { organizingRepo } from './organizing-repository';
import { lockCommunity, requireRole } from '../access';

/** Candidates looked at per need when building a plan's graph (the matching engine's best first). */
const CANDIDATES_PER_NEED = 60;
/** Triage counts who could help among the nearest this many (bench:organize: 200 full lookups took 9–15 s in a city). */
const TRIAGE_CANDIDATES = 20;
/** The most needs (and offers) one plan takes: beyond it, narrow the range or the categories. */
export const MAX_PLAN_POSTS = 2000;
/** The fairness term in metres: each match a helper accepted in the last 7 days counts as this much farther. */
export const FAIRNESS_M_PER_ACCEPT = 500;
const PLAN_TIME_LIMIT_MS = 2000;

interface Actor {
  id: string;
  displayName: string;
}

/** Runs `fn` over `items`, `concurrency` at a time (the pool has a few connections). */
export async function eachLimited<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const DAY = 86_400_000;

/** Unmet needs of the community in the next `days` days, most urgent first, each with how many offers could serve it. */
export async function triage(db: DB, actor: Actor, communityId: string, now: Date, days = 14) {
  await requireRole(db, communityId, actor, 'organizer');
  const needs = await organizingRepo.openPosts(db, actor.id, communityId, 'need', { from: now, to: new Date(now.getTime() + days * DAY) }, undefined, now, 200);
  const rows = await postsRepo.findMany(db, needs.map((n) => n.id));
  const counted = await eachLimited(needs, 4, async (n) => {
    const row = rows.get(n.id)!;
    return { row, nextStart: n.nextStart, ...(await countCandidates(db, row, now, TRIAGE_CANDIDATES, { ...AUTHOR_VIEW, notBlockedWith: actor.id })) };
  });
  const late = await organizingRepo.cancelledLate(db, needs.map((n) => n.id));
  return counted.map(({ row, nextStart, count, more }) => ({
    needId: row.id,
    title: row.title,
    category: row.category,
    author: { id: row.authorId, displayName: row.authorName },
    nextStart: nextStart?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    ageHours: Math.floor((now.getTime() - row.createdAt.getTime()) / 3_600_000),
    candidates: count,
    candidatesMore: more,
    noCandidates: count === 0,
    stillNeededAsked: row.stillNeededAskedAt !== null,
    helperCancelledLate: late.has(row.id),
  }));
}

export interface PlanQuery {
  from: string;
  to: string;
  categories?: string[];
}

function rangeOf(q: { from: string; to: string }): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(to > from)) {
    throw invalid([{ path: '/to', message: 'must be after from' }]);
  }
  if (to.getTime() - from.getTime() > 31 * DAY) {
    throw invalid([{ path: '/to', message: 'must be at most 31 days after from' }]);
  }
  return { from, to };
}

/**
 * The plan for the community's open needs and offers meeting [from, to):
 * the most needs served, then the least distance (plus the fairness term),
 * every pair one the matching engine accepts, capacities respected.
 */
export async function plan(db: DB, actor: Actor, communityId: string, query: PlanQuery, now: Date) {
  await requireRole(db, communityId, actor, 'organizer');
  const range = rangeOf(query);
  // Members' posts only: an organizer proposes on behalf of people who joined.
  const [needs, offers] = await Promise.all([
    organizingRepo.openPosts(db, actor.id, communityId, 'need', range, query.categories, now, MAX_PLAN_POSTS + 1),
    organizingRepo.openPosts(db, actor.id, communityId, 'offer', range, query.categories, now, MAX_PLAN_POSTS + 1),
  ]);
  if (needs.length > MAX_PLAN_POSTS || offers.length > MAX_PLAN_POSTS) {
    throw new HttpProblem(422, `More than ${MAX_PLAN_POSTS} needs or offers in this range; plan a shorter range or fewer categories.`);
  }
  const among = offers.map((o) => o.id);
  const rows = await postsRepo.findMany(db, [...needs.map((n) => n.id), ...offers.map((o) => o.id)]);
  // Fairness: matches each helper accepted in the last 7 days.
  const accepts = await organizingRepo.acceptsSince(db, new Date(now.getTime() - 7 * DAY));
  const edges: AssignEdge[] = [];
  await eachLimited(needs, 4, async (n) => {
    // Among the plan's offers only: the nearest of them, not the nearest of the city's.
    for (const c of await findCandidates(db, rows.get(n.id)!, now, CANDIDATES_PER_NEED, ENTITLED_VIEW, { reasons: false, among })) {
      // To 100 m, as candidates are shown: metre distances between exact points would let an organizer trilaterate.
      edges.push({ needId: n.id, offerId: c.row.id, distanceM: Math.round(c.fit.distanceM / 100) * 100, penaltyM: (accepts.get(c.row.authorId) ?? 0) * FAIRNESS_M_PER_ACCEPT });
    }
  });
  edges.sort((a, b) => a.needId.localeCompare(b.needId) || a.offerId.localeCompare(b.offerId)); // the same plan whatever order the queries finished in
  const result = solveAssignment(
    {
      needs: needs.map((n) => ({ id: n.id, units: Math.max(1, rows.get(n.id)!.capacity) })),
      offers: offers.map((o) => ({ id: o.id, capacity: Math.max(1, rows.get(o.id)!.capacityLeft) })),
      edges,
    },
    { timeLimitMs: PLAN_TIME_LIMIT_MS },
  );
  return { ...result, needs: needs.length, offers: offers.length, edges: edges.length };
}

/**
 * Turns reviewed pairs into proposals made by the organizer on each need's
 * behalf. Each pair stands alone: one that no longer fits (taken meanwhile,
 * closed, already proposed, out of the community) is skipped with its
 * reason, the others go ahead. Each proposal commits with its audit entry,
 * and the organizer's role and the posts' community are checked again in
 * its transaction.
 */
export async function apply(db: DB, actor: Actor, communityId: string, pairs: { needId: string; offerId: string }[], now: Date) {
  await requireRole(db, communityId, actor, 'organizer');
  const created: { needId: string; offerId: string; matchId: string }[] = [];
  const skipped: { needId: string; offerId: string; reason: string }[] = [];
  let roleLost: unknown = null; // the organizer stopped being one meanwhile: the rest is skipped, with that reason
  for (const pair of pairs) {
    if (roleLost) {
      skipped.push({ ...pair, reason: (roleLost as Error).message });
      continue;
    }
    try {
      const match = await proposeAsOrganizer(db, actor, pair.needId, pair.offerId, now, {
        check: async (tx) => {
          // Roles and memberships hold still until this proposal commits (a demotion, suspension or leave waits).
          await lockCommunity(tx, communityId, 'share');
          await requireRole(tx, communityId, actor, 'organizer').catch((error: unknown) => {
            roleLost = error;
            throw error;
          });
          const inside = await organizingRepo.actionable(tx, actor.id, communityId, [pair.needId, pair.offerId]);
          if (!inside.has(pair.needId) || !inside.has(pair.offerId)) {
            throw conflict('Both posts must be in this community and by its members.');
          }
        },
        record: (tx, m) =>
          audit(tx, { communityId, actorId: actor.id, action: 'assignment.apply', subjectType: 'match', subjectId: m.id, after: { needId: pair.needId, offerId: pair.offerId } }),
      });
      created.push({ ...pair, matchId: match.id });
    } catch (error) {
      if (error instanceof HttpProblem && error.status < 500) {
        skipped.push({ ...pair, reason: error.message });
        continue;
      }
      throw error;
    }
  }
  return { created, skipped };
}
