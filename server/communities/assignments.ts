// Organizer tools over a community's open posts: triage (unmet needs, most
// urgent first, with how many helpers could serve each; one need with its
// helpers, proposed by hand or its author written to) and bulk assignment
// (the candidate pairs of a time range solved exactly by server/assign, then
// applied as proposals the helpers answer).
//
// Triage, plans and coverage count one thing (issue 16): the open offers of
// the community's members (those the organizer could propose) that fit a
// need by every matching rule — category and its details, area (the larger
// radius), times (windows meeting), capacity, blocks — judged at true places,
// which an organizer is entitled to among members. They come from one
// set-based search (server/matching/pairs.ts), not one query per need.
import type { DB } from '../../db';
import { solveAssignmentWithStats, type AssignEdge } from '../assign/solve';
import { conflict, HttpProblem, invalid, notFound } from '../http/problem';
import type { Place } from '../matching/candidates';
import { fittingPairs } from '../matching/pairs';
import type { Fit } from '../matching/score';
import { Outbox } from '../live/outbox';
import { proposeAsOrganizer } from '../matches/service';
import { type PostRow, postsRepo } from '../posts/repository';
import { audit } from './service';
import { organizingRepo } from './organizing-repository';
import { lockCommunity, requireRole } from '../access';

/** Candidates kept per need in a plan's graph (the matching engine's best first). */
const CANDIDATES_PER_NEED = 60;
/** Triage lists the soonest this many needs. */
const TRIAGE_NEEDS = 200;
/** Triage looks this many days ahead; its counts are over the members' offers of the same days. */
export const TRIAGE_DAYS = 14;
/** Triage counts a need's helpers up to this many ("20+"): the list is for seeing who lacks help. */
const TRIAGE_COUNT = 20;
/** One need's helpers listed for proposing by hand, best first. */
const HELPERS_SHOWN = 60;
/** The most needs (and offers) one plan takes: beyond it, narrow the range or the categories. */
export const MAX_PLAN_POSTS = 2000;
/** The fairness term in metres: each match a helper accepted in the last 7 days counts as this much farther. */
export const FAIRNESS_M_PER_ACCEPT = 500;
/**
 * The solver's budget for needs of several units. bench:organize (2026-12-04): on the district's
 * plans it finds in 0.3–0.5 s the plan it still holds after 10 s (the rest of the search proves
 * nothing more), so a longer wait buys no better plan there.
 */
export const PLAN_TIME_LIMIT_MS = 500;
/**
 * A plan proven within 0.5% of the best possible cost is good enough to stop at: on the district's
 * afternoon (bench:organize, 2026-12-05: 814 km over 1,326 pairs) that is at most 4 km, a few metres
 * a pair, and the search spent its whole 0.5 s budget closing the last 0.2%; it now stops after 82 ms.
 */
export const PLAN_GAP = 0.005;
/** No list of members' posts is cut short in practice; this bounds a runaway. */
const ALL = 1_000_000;

/** Among members' posts an organizer is entitled to both true places. */
const AMONG_MEMBERS: { need: () => Place; offer: () => Place } = { need: () => 'exact', offer: () => 'exact' };

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
/** To 100 m, as candidates are shown: metre distances between exact points would let an organizer trilaterate. */
const shownDistance = (fit: Fit) => Math.round(fit.distanceM / 100) * 100;

function triageRange(now: Date, days: number) {
  return { from: now, to: new Date(now.getTime() + days * DAY) };
}

function triageItem(row: PostRow, nextStart: Date | null, helpers: number, more: boolean, late: boolean, now: Date) {
  return {
    needId: row.id,
    title: row.title,
    category: row.category,
    author: { id: row.authorId, displayName: row.authorName },
    nextStart: nextStart?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    ageHours: Math.floor((now.getTime() - row.createdAt.getTime()) / 3_600_000),
    candidates: helpers,
    candidatesMore: more,
    noCandidates: helpers === 0,
    stillNeededAsked: row.stillNeededAskedAt !== null,
    helperCancelledLate: late,
  };
}

/**
 * Unmet needs of the community's members in the next `days` days, soonest
 * first, each with how many members' offers of those days could serve it
 * (up to TRIAGE_COUNT, "20+"): what a plan of the same days would pair it with.
 */
export async function triage(db: DB, actor: Actor, communityId: string, now: Date, days = TRIAGE_DAYS) {
  await requireRole(db, communityId, actor, 'organizer');
  const range = triageRange(now, days);
  const [needs, offers] = await Promise.all([
    organizingRepo.openPosts(db, actor.id, communityId, 'need', range, now, { limit: TRIAGE_NEEDS }),
    organizingRepo.openPosts(db, actor.id, communityId, 'offer', range, now, { limit: ALL }),
  ]);
  const [{ rows, byNeed, cut }, late] = await Promise.all([
    fittingPairs(db, { needIds: needs.map((n) => n.id), offerIds: offers.map((o) => o.id), now, place: AMONG_MEMBERS, stopAt: TRIAGE_COUNT }),
    organizingRepo.cancelledLate(db, needs.map((n) => n.id)),
  ]);
  return needs.filter((n) => rows.has(n.id)).map((n) => triageItem(rows.get(n.id)!, n.nextStart, byNeed.get(n.id)?.length ?? 0, cut.has(n.id), late.has(n.id), now));
}

/**
 * One need triage lists, with the members' offers that could serve it (the
 * ones its count counts; the best first, at most HELPERS_SHOWN), each named
 * with its helper, when they would meet and how far apart they are (to
 * 100 m), and whether it is already proposed: what an organizer proposes by
 * hand from (apply, one pair). 404 for anything triage would not list.
 */
export async function triageNeed(db: DB, actor: Actor, communityId: string, needId: string, now: Date, days = TRIAGE_DAYS) {
  await requireRole(db, communityId, actor, 'organizer');
  const range = triageRange(now, days);
  const [need] = await organizingRepo.openPosts(db, actor.id, communityId, 'need', range, now, { ids: [needId], limit: 1 });
  if (!need) {
    throw notFound("There is no open need of this community's members with this id in the next days.", 'triage.not_found');
  }
  const offers = await organizingRepo.openPosts(db, actor.id, communityId, 'offer', range, now, { categories: [need.category], limit: ALL });
  const { rows, byNeed } = await fittingPairs(db, { needIds: [need.id], offerIds: offers.map((o) => o.id), now, place: AMONG_MEMBERS });
  const row = rows.get(need.id);
  if (!row) {
    throw notFound("There is no open need of this community's members with this id in the next days.", 'triage.not_found');
  }
  const pairs = byNeed.get(need.id) ?? [];
  const shown = pairs.slice(0, HELPERS_SHOWN);
  const [late, live] = await Promise.all([organizingRepo.cancelledLate(db, [need.id]), organizingRepo.liveMatches(db, need.id, shown.map((p) => p.offerId))]);
  return {
    need: triageItem(row, need.nextStart, Math.min(pairs.length, TRIAGE_COUNT), pairs.length > TRIAGE_COUNT, late.has(need.id), now),
    helpers: shown.map((p) => {
      const offer = rows.get(p.offerId)!;
      const occasion = p.fit.overlap[0]!;
      return {
        offerId: offer.id,
        title: offer.title,
        helper: { id: offer.authorId, displayName: offer.authorName },
        distanceM: shownDistance(p.fit),
        startsAt: occasion.start.toISOString(),
        endsAt: occasion.end.toISOString(),
        match: (live.get(offer.id) ?? null) as 'proposed' | 'accepted' | null,
      };
    }),
  };
}

/** The longest note an organizer writes to a need's author. */
export const NOTE_MAX = 1000;

/**
 * A note from an organizer to the author of a need triage lists: it reaches
 * them as a message does (the inbox, and by e-mail and push as they chose),
 * about their need, from the organizer by name. There is no thread to answer
 * in; a proposal opens one between the author and the helper. Audited.
 */
export async function writeToAuthor(db: DB, actor: Actor, communityId: string, needId: string, body: string, now: Date): Promise<void> {
  const text = body.trim();
  if (text === '') {
    throw invalid([{ path: '/body', message: 'must not be blank' }]);
  }
  await db.transaction(async (tx) => {
    // Roles and memberships hold still until the note is written (a demotion, suspension or leave waits).
    await lockCommunity(tx, communityId, 'share');
    await requireRole(tx, communityId, actor, 'organizer');
    const range = triageRange(now, TRIAGE_DAYS);
    const [need] = await organizingRepo.openPosts(tx, actor.id, communityId, 'need', range, now, { ids: [needId], limit: 1 });
    const row = need ? await postsRepo.find(tx, need.id) : undefined;
    if (!row) {
      throw notFound("There is no open need of this community's members with this id in the next days.", 'triage.not_found');
    }
    if (row.authorId === actor.id) {
      throw conflict('This need is yours.', 'triage.own_need');
    }
    const events = new Outbox(now);
    // replyTo: the author may answer the note (server/notifications/replies.ts).
    events.note({ userId: row.authorId, kind: 'message.created', postId: row.id, communityId, actorId: actor.id, data: { title: row.title, text, replyTo: actor.id } });
    await events.flush(tx);
    await audit(tx, { communityId, actorId: actor.id, action: 'need.note', subjectType: 'post', subjectId: row.id, after: { chars: text.length } });
  });
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
 * every pair one the matching engine accepts, capacities respected. Each
 * pair names its helper and the occasion a proposal would be for (the first
 * time both are free that is not over).
 */
export async function plan(db: DB, actor: Actor, communityId: string, query: PlanQuery, now: Date) {
  await requireRole(db, communityId, actor, 'organizer');
  const range = rangeOf(query);
  // Members' posts only: an organizer proposes on behalf of people who joined.
  const [needs, offers] = await Promise.all([
    organizingRepo.openPosts(db, actor.id, communityId, 'need', range, now, { categories: query.categories, limit: MAX_PLAN_POSTS + 1 }),
    organizingRepo.openPosts(db, actor.id, communityId, 'offer', range, now, { categories: query.categories, limit: MAX_PLAN_POSTS + 1 }),
  ]);
  if (needs.length > MAX_PLAN_POSTS || offers.length > MAX_PLAN_POSTS) {
    throw new HttpProblem(422, `More than ${MAX_PLAN_POSTS} needs or offers in this range; plan a shorter range or fewer categories.`);
  }
  // Every need's best candidates among the plan's offers, as one set.
  const { rows, byNeed, accepts } = await fittingPairs(db, { needIds: needs.map((n) => n.id), offerIds: offers.map((o) => o.id), now, place: AMONG_MEMBERS, keep: CANDIDATES_PER_NEED });
  const edges: AssignEdge[] = [];
  const fits = new Map<string, Fit>();
  for (const n of needs) {
    for (const p of byNeed.get(n.id) ?? []) {
      // Fairness: matches each helper accepted in the last 7 days.
      edges.push({ needId: n.id, offerId: p.offerId, distanceM: shownDistance(p.fit), penaltyM: (accepts.get(rows.get(p.offerId)!.authorId) ?? 0) * FAIRNESS_M_PER_ACCEPT });
      fits.set(`${n.id}:${p.offerId}`, p.fit);
    }
  }
  edges.sort((a, b) => a.needId.localeCompare(b.needId) || a.offerId.localeCompare(b.offerId)); // the same plan whatever order they came in
  const present = needs.filter((n) => rows.has(n.id));
  const { plan: result, stats } = solveAssignmentWithStats(
    {
      needs: present.map((n) => ({ id: n.id, units: Math.max(1, rows.get(n.id)!.capacity) })),
      offers: offers.filter((o) => rows.has(o.id)).map((o) => ({ id: o.id, capacity: Math.max(1, rows.get(o.id)!.capacityLeft) })),
      edges,
    },
    { timeLimitMs: PLAN_TIME_LIMIT_MS, gap: PLAN_GAP },
  );
  return {
    ...result,
    gap: gapOf(result.exact, stats.costM, stats.costBoundM),
    pairs: result.pairs.map((p) => {
      const need = rows.get(p.needId)!;
      const offer = rows.get(p.offerId)!;
      const occasion = fits.get(`${p.needId}:${p.offerId}`)!.overlap[0]!;
      return {
        ...p,
        needTitle: need.title,
        offerTitle: offer.title,
        helper: { id: offer.authorId, displayName: offer.authorName },
        startsAt: occasion.start.toISOString(),
        endsAt: occasion.end.toISOString(),
      };
    }),
    needs: needs.length,
    offers: offers.length,
    edges: edges.length,
  };
}

/** How far above the best possible cost the plan is proven to be at most: 0 when exact, null when no bound is known. */
function gapOf(exact: boolean, costM: number, boundM: number | null): number | null {
  if (exact) {
    return 0;
  }
  if (boundM === null || costM <= 0) {
    return null;
  }
  // Rounded up to 0.01%: the figure is a promise, never smaller than the truth.
  return Math.ceil((Math.max(0, costM - boundM) / costM) * 10_000) / 10_000;
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
