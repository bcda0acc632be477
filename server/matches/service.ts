import type { DB, Executor } from '../../db';
import type { SessionUser } from '../auth/repository';
import { conflict, forbidden, HttpProblem, invalid, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';
import { findCandidates, type Place, PUBLIC_VIEW, toMatchPost, zoneOf } from '../matching/candidates';
import { evaluatePair, type Fit, overlapWindows } from '../matching/score';
import { DateTime } from 'luxon';
import { type PostRow, postsRepo } from '../posts/repository';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { postChange, postView, statusAt, type Viewer } from '../posts/view';
import { type MatchRow, type MatchStatus, matchesRepo } from './repository';
import { sql } from 'drizzle-orm';
import { rowsOf, sqlState } from '../../db';
import { type IdempotencyClaim, recordClaim } from '../http/idempotency';

/** A helper who cancels an accepted match closer than this to its start is a late cancellation. */
export const LATE_CANCEL_MS = 24 * 3_600_000;

/** Whether the post's next window starts within `ms` of now (or is under way). */
async function startsWithin(db: Executor, postId: string, now: Date, ms: number): Promise<boolean> {
  const [row] = rowsOf<{ next: Date | string | null }>(
    await db.execute(sql`SELECT min(lower(during)) AS next FROM post_windows WHERE post_id = ${postId} AND upper(during) > ${now.toISOString()}::timestamptz`),
  );
  return row?.next !== null && row?.next !== undefined && new Date(row.next).getTime() - now.getTime() < ms;
}
import { isBlocked, organizersOfPost } from '../access';
import { type Match, type Message, type ProposeBody } from '../contract/matches';
import { type MatchEventType } from '../contract/live';

/** How many of a post's best candidates the server records as suggestions. */
export const SUGGESTIONS_PER_POST = 5;

const unprocessable = (detail: string, errors?: { path: string; message: string }[], code = 'match.misfit') => new HttpProblem(422, detail, errors, code);

/** Locks both posts of a pair, always in id order, so concurrent writers never wait on each other in a cycle. */
async function lockPair(tx: Executor, needId: string, offerId: string): Promise<{ need?: PostRow; offer?: PostRow }> {
  const locked = new Map<string, PostRow | undefined>();
  for (const id of [needId, offerId].sort()) {
    locked.set(id, await postsRepo.find(tx, id, { forUpdate: true }));
  }
  return { need: locked.get(needId), offer: locked.get(offerId) };
}

function isParty(user: Viewer, need: PostRow, offer: PostRow): boolean {
  return need.authorId === user.id || offer.authorId === user.id;
}

/**
 * How a need and an offer fit now; throws why they cannot be matched,
 * judged with each post at the place `placeOf` says the proposer may use:
 * a party proposing learns from a 422 whether the pair fits, so the other
 * post is judged at its public point (the privacy invariant); an organizer
 * proposing for members is entitled to both true places.
 */
function fitOf(need: PostRow, offer: PostRow, now: Date, placeOf: (row: PostRow) => Place): Fit {
  const problem = misfit(need, offer, now);
  if (problem) {
    throw problem;
  }
  const fit = evaluatePair(toMatchPost(need, now, placeOf(need)), toMatchPost(offer, now, placeOf(offer)), { now, viewer: 'need', helperRecentAccepts: 0, explain: false });
  if (!fit) {
    throw unprocessable('These posts do not fit: their places, times or details (destination, diet, subject, language, mode) do not meet.');
  }
  return fit;
}

/** What rules a pair out before places and times are weighed (null: nothing). */
function misfit(need: PostRow, offer: PostRow, now: Date): HttpProblem | null {
  if (need.kind !== 'need') {
    return unprocessable('needId must name a need.', [{ path: '/needId', message: 'is an offer, not a need' }]);
  }
  if (offer.kind !== 'offer') {
    return unprocessable('offerId must name an offer.', [{ path: '/offerId', message: 'is a need, not an offer' }]);
  }
  if (need.authorId === offer.authorId) {
    return unprocessable('Both posts are by the same person.', undefined, 'match.same_author');
  }
  for (const [row, path] of [[need, '/needId'], [offer, '/offerId']] as const) {
    const status = statusAt(row, now);
    if (status !== 'open') {
      return unprocessable(`The ${row.kind} is ${status}, not open.`, [{ path, message: `is ${status}` }], 'match.post_closed');
    }
  }
  if (need.category !== offer.category) {
    return unprocessable(`A ${need.category} need cannot be served by a ${offer.category} offer.`);
  }
  if (offer.capacityLeft < need.capacity) {
    return unprocessable(`The offer has ${offer.capacityLeft} left; the need asks for ${need.capacity}.`, [
      { path: '/offerId', message: 'has not enough capacity left' },
    ], 'match.capacity');
  }
  return null;
}

/** Who proposes: a party, or an organizer on the need's behalf. */
type Proposer = { id: string; displayName: string };

export async function proposeMatch(db: DB, user: SessionUser, body: ProposeBody, now: Date, idempotency?: IdempotencyClaim): Promise<MatchRow> {
  return takingUpSuggestion(() => db.transaction(async (tx) => {
    const { need, offer } = await lockPair(tx, body.needId, body.offerId);
    if (!need || !offer) {
      throw new HttpProblem(404, 'There is no post with this id.', [{ path: need ? '/offerId' : '/needId', message: 'does not exist' }], 'post.not_found');
    }
    if (!isParty(user, need, offer)) {
      throw forbidden('Only the author of the need or of the offer can propose this match.', 'match.not_party');
    }
    const match = await propose(tx, user, need, offer, body.message, now, (row) => (row.authorId === user.id ? 'exact' : 'public'));
    if (idempotency) {
      await recordClaim(tx, idempotency, match.id, now);
    }
    return match;
  }));
}

/**
 * Runs a proposal's transaction again, once, when a post's suggestions were
 * being written at the same time: a post's suggestions are made by a job
 * just after its reply, so they may be written while its author, or the
 * other side, already proposes. Their insert locks the posts it names (its
 * foreign keys) in its own order, and the proposal locks the pair in id
 * order: PostgreSQL may end one of the two as a deadlock (40P01); and a
 * suggestion of the pair committed between the proposal's look for a live
 * match and its insert collides with it (matches_live_pair_key). The second
 * run finds the suggestion and takes it up.
 */
async function takingUpSuggestion<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const state = sqlState(error);
    if (state !== '40P01' && !(state === '23505' && /matches_live_pair_key/.test(constraintOf(error)))) {
      throw error;
    }
    return run();
  }
}

/** The constraint a database error names (postgres.js `constraint_name`, PGlite `constraint`), or ''. */
function constraintOf(error: unknown): string {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { constraint_name: a, constraint: b } = e as { constraint_name?: unknown; constraint?: unknown };
    if (typeof a === 'string' || typeof b === 'string') {
      return String(a ?? b);
    }
  }
  return '';
}

/**
 * An organizer's proposal on the need's behalf (a bulk plan applied). Same
 * rules as a party's proposal; the offer's author answers it. The caller's
 * `within` runs in the same transaction, with the pair locked: it checks
 * that the organizer may (throwing refuses) and records the proposal once
 * made, so the proposal and its audit entry commit together or not at all.
 */
export async function proposeAsOrganizer(
  db: DB,
  organizer: Proposer,
  needId: string,
  offerId: string,
  now: Date,
  within: { check(tx: Executor): Promise<void>; record(tx: Executor, match: MatchRow): Promise<void> },
): Promise<MatchRow> {
  return takingUpSuggestion(() => db.transaction(async (tx) => {
    const { need, offer } = await lockPair(tx, needId, offerId);
    if (!need || !offer) {
      throw new HttpProblem(404, 'There is no post with this id.', [{ path: need ? '/offerId' : '/needId', message: 'does not exist' }], 'post.not_found');
    }
    await within.check(tx);
    // Organizers propose for members only (their `check`), whose true places they are entitled to.
    const match = await propose(tx, organizer, need, offer, undefined, now, () => 'exact');
    await within.record(tx, match);
    return match;
  }));
}

async function propose(
  tx: Executor,
  user: Proposer,
  need: PostRow,
  offer: PostRow,
  message: string | undefined,
  now: Date,
  placeOf: (row: PostRow) => Place,
): Promise<MatchRow> {
  if (await isBlocked(tx, need.authorId, offer.authorId)) {
    throw forbidden('These two people cannot be matched: one has blocked the other.', 'blocked');
  }
  const live = await matchesRepo.livePair(tx, need.id, offer.id);
  if (live && live.status !== 'suggested') {
    throw conflict(`These posts already have ${live.status === 'accepted' ? 'an' : 'a'} ${live.status} match.`, 'match.exists');
  }
  // The proposal is for the first occasion both are free that is not over (the
  // schedules start at now, so each overlap ends after it), stored: a window
  // added to either post later does not move it.
  const occasion = fitOf(need, offer, now, placeOf).overlap[0]!;
  const proposal = { status: 'proposed' as const, proposedBy: user.id, actedBy: user.id, startsAt: occasion.start, endsAt: occasion.end, updatedAt: now };
  let match: MatchRow;
  if (live) {
    // A suggestion taken up keeps its id.
    await matchesRepo.update(tx, live.id, proposal);
    match = (await matchesRepo.find(tx, live.id))!;
  } else {
    match = await matchesRepo.insert(tx, { needId: need.id, offerId: offer.id, helperId: offer.authorId, createdAt: now, ...proposal });
  }
  const events = new Outbox(now);
  events.match('match.proposed', { matchId: match.id, actorId: user.id }, need, offer, (viewer) => matchView(match, need, offer, viewer, now));
  if (message !== undefined) {
    if (message.trim() === '') {
      throw invalid([{ path: '/message', message: 'must not be blank', code: 'blank' }]);
    }
    const row = await matchesRepo.addMessage(tx, { matchId: match.id, authorId: user.id, body: message, createdAt: now });
    events.message({ id: match.id, title: need.title }, [need.authorId, offer.authorId], messageView(row, user));
  }
  await events.flush(tx);
  return match;
}

/** A message as the thread and the live event show it. */
export function messageView(row: { id: string; body: string; createdAt: Date }, author: { id: string; displayName: string }): Message {
  return { id: row.id, author: { id: author.id, displayName: author.displayName }, body: row.body, createdAt: row.createdAt.toISOString() };
}

/** Adds to a match's thread (the parties only; not while it is only a suggestion). */
export async function postMessage(db: DB, user: SessionUser, matchId: string, body: string, now: Date, idempotency?: IdempotencyClaim) {
  return db.transaction(async (tx) => {
    const { match, need, offer } = await matchFor(tx, user, matchId);
    if (body.trim() === '') {
      throw invalid([{ path: '/body', message: 'must not be blank', code: 'blank' }]);
    }
    if (match.status === 'suggested') {
      throw conflict('Propose this match first; then you can write to the other party.', 'match.not_proposed');
    }
    const message = messageView(await matchesRepo.addMessage(tx, { matchId: match.id, authorId: user.id, body, createdAt: now }), user);
    if (idempotency) {
      await recordClaim(tx, idempotency, message.id, now);
    }
    const events = new Outbox(now);
    events.message({ id: match.id, title: need.title }, [need.authorId, offer.authorId], message);
    await events.flush(tx);
    return message;
  });
}

/** Events for the posts of a transaction whose rows changed (status or capacity), from `before` to now. */
async function postChanges(tx: Executor, events: Outbox, before: PostRow[]): Promise<Map<string, PostRow>> {
  const after = await postsRepo.findMany(tx, before.map((p) => p.id));
  for (const old of before) {
    const row = after.get(old.id)!;
    if (row.status !== old.status || row.capacityLeft !== old.capacityLeft) {
      events.post(postChange(row, old, events.now));
    }
  }
  return after;
}

const EVENT_OF: Record<MatchAction, MatchEventType> = {
  accept: 'match.accepted',
  decline: 'match.declined',
  cancel: 'match.cancelled',
  complete: 'match.completed',
};

export type MatchAction = 'accept' | 'decline' | 'cancel' | 'complete';

const ALLOWED_FROM: Record<MatchAction, MatchStatus[]> = {
  accept: ['proposed'],
  decline: ['proposed'],
  cancel: ['suggested', 'proposed', 'accepted'],
  complete: ['accepted'],
};

/**
 * Moves a match along its lifecycle. Accepting takes the need's capacity
 * from the offer in the same transaction, with both posts locked: of two
 * accepts racing for the last seat exactly one succeeds. Cancelling an
 * accepted match gives the capacity back.
 */
export async function actOnMatch(db: DB, user: SessionUser, id: string, action: MatchAction, now: Date, options: { byBlock?: boolean } = {}): Promise<MatchRow> {
  return db.transaction(async (tx) => {
    const seen = await matchesRepo.find(tx, id);
    if (!seen) {
      throw notFound('There is no match with this id.', 'match.not_found');
    }
    const { need, offer } = await lockPair(tx, seen.needId, seen.offerId);
    const match = (await matchesRepo.find(tx, id, { forUpdate: true }))!;
    if (!need || !offer || !isParty(user, need, offer)) {
      throw forbidden('Only the two parties of a match can act on it.', 'match.not_party');
    }
    let late = false;
    if (!ALLOWED_FROM[action].includes(match.status)) {
      throw conflict(`This match is ${match.status}; it cannot be ${action === 'accept' ? 'accepted' : `${action}d`}${action === 'cancel' ? '' : ' now'}.`, 'match.state');
    }
    // The proposing side cannot answer. An organizer proposes on the need's behalf: the offer's author answers.
    const proposerSide = match.proposedBy === offer.authorId ? offer.authorId : need.authorId;
    if ((action === 'accept' || action === 'decline') && proposerSide === user.id) {
      throw forbidden(
        match.proposedBy === user.id
          ? `You proposed this match; the other party ${action}s it.`
          : `An organizer proposed this match on your behalf; the helper ${action}s it, and you may cancel it.`,
        'match.own_proposal',
      );
    }
    if (action === 'complete' && match.startsAt && match.startsAt > now) {
      throw conflict(`This can be marked done once it has started, on ${occasionText(match.startsAt, need)}.`, 'match.not_started');
    }
    if (action === 'accept') {
      // A block made after the proposal: nobody accepts across it (and so nobody's exact place crosses it).
      if (await isBlocked(tx, need.authorId, offer.authorId)) {
        throw forbidden('These two people cannot be matched: one has blocked the other.', 'blocked');
      }
      if (need.status !== 'open') {
        throw conflict(`The need is already ${need.status}.`, 'match.post_closed');
      }
      if (offer.capacityLeft < need.capacity) {
        throw conflict(`The offer has ${offer.capacityLeft} left; the need asks for ${need.capacity}.`, 'match.capacity');
      }
      const left = offer.capacityLeft - need.capacity;
      await postsRepo.update(tx, offer.id, { capacityLeft: left, status: left === 0 ? 'matched' : offer.status, updatedAt: now });
      await postsRepo.update(tx, need.id, { capacityLeft: 0, status: 'matched', updatedAt: now });
      await matchesRepo.update(tx, id, { status: 'accepted', amount: need.capacity, acceptedAt: now, actedBy: user.id, updatedAt: now });
    } else if (action === 'cancel') {
      await cancelMatch(tx, match, need, offer, now, user.id);
      // (Not when a block ended it: that is about the two people, not a helper dropping out.)
      late = !options.byBlock && match.status === 'accepted' && user.id === offer.authorId && (await startsWithin(tx, need.id, now, LATE_CANCEL_MS));
      if (late) {
        await matchesRepo.update(tx, id, { cancelledLate: true });
      }
    } else if (action === 'complete') {
      await postsRepo.update(tx, need.id, { status: 'fulfilled', updatedAt: now });
      await matchesRepo.update(tx, id, { status: 'completed', actedBy: user.id, updatedAt: now });
    } else {
      await matchesRepo.update(tx, id, { status: action === 'decline' ? 'declined' : 'cancelled', actedBy: user.id, updatedAt: now });
    }
    const after = (await matchesRepo.find(tx, id))!;
    const events = new Outbox(now);
    const posts = await postChanges(tx, events, [need, offer]);
    const [needNow, offerNow] = [posts.get(need.id)!, posts.get(offer.id)!];
    events.match(EVENT_OF[action], { matchId: id, actorId: user.id }, needNow, offerNow, (viewer) => matchView(after, needNow, offerNow, viewer, now));
    if (late) {
      // The helper dropped out at the last minute: the need's organizers hear of it (and triage shows it).
      for (const home of await organizersOfPost(tx, need.id)) {
        events.notice(home.organizerIds, { kind: 'late_cancellation', postId: need.id, matchId: id, communityId: home.communityId, title: need.title });
      }
    }
    await events.flush(tx);
    return after;
  });
}

/**
 * Cancels a live match; an accepted one gives back what it took: the offer's
 * capacity and the need's openness (a post already cancelled stays so).
 * The caller holds the locks on both posts and the match.
 */
export async function cancelMatch(tx: Executor, match: MatchRow, need: PostRow, offer: PostRow, now: Date, actedBy: string | null): Promise<void> {
  if (match.status === 'accepted') {
    await postsRepo.update(tx, offer.id, {
      capacityLeft: Math.min(offer.capacity, offer.capacityLeft + match.amount),
      status: offer.status === 'matched' ? 'open' : offer.status,
      updatedAt: now,
    });
    await postsRepo.update(tx, need.id, {
      capacityLeft: need.capacity,
      status: need.status === 'matched' ? 'open' : need.status,
      updatedAt: now,
    });
  }
  await matchesRepo.update(tx, match.id, { status: 'cancelled', amount: 0, actedBy, updatedAt: now });
}

/**
 * Cancels a post (kept, status `cancelled`) and every match that still holds
 * it, giving capacity back to the other side of accepted ones. Posts are
 * locked in id order, as everywhere, before any match.
 */
export async function cancelPostAndMatches(db: Executor, user: SessionUser, id: string, now: Date, options: { hide?: (tx: Executor, row: PostRow) => Promise<void> } = {}): Promise<PostRow> {
  return db.transaction(async (tx) => {
    const counterpart = (m: MatchRow) => (m.needId === id ? m.offerId : m.needId);
    const locked = new Map<string, PostRow | undefined>();
    const lock = async (ids: string[]) => {
      for (const pid of [...new Set(ids)].filter((p) => !locked.has(p)).sort()) {
        locked.set(pid, await postsRepo.find(tx, pid, { forUpdate: true }));
      }
    };
    await lock([id, ...(await matchesRepo.liveOf(tx, id)).map(counterpart)]);
    const row = locked.get(id);
    if (!row) {
      throw notFound('There is no post with this id.', 'post.not_found');
    }
    // Hiding (moderation): `hide` checks the organizer's right, and audits, inside this transaction.
    if (options.hide) {
      await options.hide(tx, row);
    } else if (row.authorId !== user.id) {
      throw forbidden('Only the author of this post can change it.', 'post.not_author');
    }
    if (row.status === 'fulfilled') {
      throw conflict('This post is fulfilled; there is nothing left to cancel.', 'post.closed');
    }
    const live = await matchesRepo.liveOf(tx, id, { forUpdate: true });
    // A match proposed between the first read and the locks: lock its other post too.
    await lock(live.map(counterpart));
    for (const match of live) {
      const need = locked.get(match.needId)!;
      const offer = locked.get(match.offerId)!;
      await cancelMatch(tx, match, need, offer, now, user.id);
    }
    if (options.hide) {
      await postsRepo.update(tx, id, { status: 'cancelled', hiddenAt: now, hiddenBy: user.id, updatedAt: now });
    } else if (row.status !== 'cancelled') {
      await postsRepo.update(tx, id, { status: 'cancelled', updatedAt: now });
    }
    const events = new Outbox(now);
    const posts = await postChanges(tx, events, [...locked.values()].filter((p) => p !== undefined));
    for (const match of live) {
      const [need, offer] = [posts.get(match.needId)!, posts.get(match.offerId)!];
      // As cancelMatch left it.
      const cancelled: MatchRow = { ...match, status: 'cancelled', amount: 0, actedBy: user.id, updatedAt: now };
      events.match('match.cancelled', { matchId: match.id, actorId: user.id, notify: match.status !== 'suggested' }, need, offer, (viewer) => matchView(cancelled, need, offer, viewer, now));
    }
    await events.flush(tx);
    return posts.get(id)!;
  });
}

/** The match if this user is one of its parties; 404 for anyone else. */
export async function matchFor(db: Executor, user: Viewer, id: string): Promise<{ match: MatchRow; need: PostRow; offer: PostRow }> {
  const match = await matchesRepo.find(db, id);
  const posts = match ? await postsRepo.findMany(db, [match.needId, match.offerId]) : new Map<string, PostRow>();
  const need = match && posts.get(match.needId);
  const offer = match && posts.get(match.offerId);
  if (!match || !need || !offer || !isParty(user, need, offer)) {
    throw notFound('There is no match with this id.', 'match.not_found');
  }
  return { match, need, offer };
}

/** "Thursday, December 3 at 5:00 PM EST": when a match's occasion starts, in the need's zone (a problem's detail is not in the reader's). */
function occasionText(at: Date, need: PostRow): string {
  return DateTime.fromJSDate(at, { zone: zoneOf(need) }).setLocale('en-US').toFormat("cccc, LLLL d 'at' h:mm a ZZZZ");
}

const intervals = (schedule: { start: string; end: string }[]) => schedule.map((w) => ({ start: new Date(w.start), end: new Date(w.end) }));

/** A match as a party sees it: the other post exact once accepted (or completed), public before. */
export function matchView(match: MatchRow, need: PostRow, offer: PostRow, viewer: Viewer, now: Date): Match {
  const revealed = match.status === 'accepted' || match.status === 'completed';
  const needView = postView(need, viewer, now, revealed);
  const offerView = postView(offer, viewer, now, revealed);
  // A suggestion is for nothing yet: the occasion a proposal made now would be for.
  const occasion =
    match.startsAt && match.endsAt
      ? { start: match.startsAt, end: match.endsAt }
      : match.status === 'suggested'
        ? (overlapWindows(intervals(needView.schedule), intervals(offerView.schedule))[0]?.overlap ?? null)
        : null;
  return {
    id: match.id,
    status: match.status,
    needId: match.needId,
    offerId: match.offerId,
    proposedBy: match.proposedBy,
    actedBy: match.actedBy,
    startsAt: occasion ? occasion.start.toISOString() : null,
    endsAt: occasion ? occasion.end.toISOString() : null,
    need: needView,
    offer: offerView,
    createdAt: match.createdAt.toISOString(),
    updatedAt: match.updatedAt.toISOString(),
  };
}

export async function listMatches(
  db: Executor,
  user: Viewer,
  query: { status?: MatchStatus | undefined; limit?: number | undefined; cursor?: string | undefined },
  now: Date,
): Promise<{ items: Match[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const rows = await matchesRepo.listFor(db, user.id, {
    status: query.status,
    limit,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
  });
  const page = rows.slice(0, limit);
  const posts = await postsRepo.findMany(db, [...new Set(page.flatMap((m) => [m.needId, m.offerId]))]);
  return {
    items: page.map((m) => matchView(m, posts.get(m.needId)!, posts.get(m.offerId)!, user, now)),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}

/**
 * Records a post's best candidates as `suggested` matches, replacing the
 * server's earlier suggestions for it. Best effort: the post is already saved.
 * The reads come before the transaction (they lock nothing, so inside it they
 * would see no more), and a post whose suggestions stay as they are writes
 * nothing: the follow-up job of every post runs this (issue 17 counted its
 * round trips).
 */
export async function suggestFor(db: DB, post: PostRow, now: Date): Promise<void> {
  // Suggestions are told apart by the other post (one live match per pair).
  const otherOf = (m: MatchRow) => (post.kind === 'need' ? m.offerId : m.needId);
  const { suggestions: before, turnedDown } = await matchesRepo.suggestionState(db, post.id);
  const best = statusAt(post, now) === 'open' ? (await findCandidates(db, post, now, SUGGESTIONS_PER_POST + turnedDown.size, PUBLIC_VIEW, { reasons: false })).filter(({ row }) => !turnedDown.has(row.id)).slice(0, SUGGESTIONS_PER_POST) : [];
  const wanted = new Set(best.map(({ row }) => row.id));
  const kept = new Set(before.map(otherOf).filter((id) => wanted.has(id)));
  const unwanted = before.filter((m) => !wanted.has(otherOf(m))).map((m) => m.id);
  const fresh = best.filter(({ row }) => !kept.has(row.id));
  if (unwanted.length === 0 && fresh.length === 0) {
    return;
  }
  await db.transaction(async (tx) => {
    const dropped = await matchesRepo.dropSuggestions(tx, unwanted);
    const made = await matchesRepo.suggest(
      tx,
      fresh.map(({ row, fit }) => ({
        needId: post.kind === 'need' ? post.id : row.id,
        offerId: post.kind === 'offer' ? post.id : row.id,
        helperId: post.kind === 'offer' ? post.authorId : row.authorId,
        score: fit.score,
      })),
      now,
    );
    // Both sides are told: of new suggestions, and of those withdrawn (a pair
    // that already had a live match was left alone and is not).
    const events = new Outbox(now);
    // The candidates are at hand; only withdrawn suggestions' other posts are read.
    const others = new Map(best.map(({ row }) => [row.id, row]));
    const missing = dropped.map(otherOf).filter((id) => !others.has(id));
    for (const [id, row] of await postsRepo.findMany(tx, [...new Set(missing)])) {
      others.set(id, row);
    }
    const sides = (m: MatchRow): [PostRow, PostRow] | null => {
      const other = others.get(otherOf(m));
      return other ? (post.kind === 'need' ? [post, other] : [other, post]) : null;
    };
    for (const match of dropped) {
      const pair = sides(match);
      if (pair) {
        const gone = { ...match, status: 'cancelled' as const, actedBy: null, updatedAt: now };
        events.match('match.cancelled', { matchId: match.id, actorId: null, notify: match.status !== 'suggested' }, ...pair, (viewer) => matchView(gone, ...pair, viewer, now));
      }
    }
    for (const match of made) {
      const pair = sides(match);
      if (pair) {
        events.match('match.suggested', { matchId: match.id, actorId: null }, ...pair, (viewer) => matchView(match, ...pair, viewer, now));
      }
    }
    await events.flush(tx);
  });
}
