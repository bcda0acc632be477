// Live events are written where the change is, in the same transaction (an
// outbox): a change either happens with its event or not at all. Services
// collect events while they work and flush them last, so the lock that
// orders the appends is held only from the flush to the commit.
import { type SQL, sql } from 'drizzle-orm';
import { events, type Executor } from '../../db';
import { entitledOrganizers, entitledOrganizersAt } from '../access';
import { type Message } from '../contract/matches';
import { type MatchEventType, type Notice, type PostEventType } from '../contract/live';
import { type NewNeed, type NewNotification, recordNeedAlerts, recordNotifications } from '../notifications/record';

/** NOTIFY channel that wakes every process's hub after a commit that appended events. */
export const EVENTS_CHANNEL = 'aidmap_events';
/**
 * Appends are serialized by this transaction-level advisory lock, held to
 * the commit: `seq` order is then commit order, and a reader that saw seq N
 * can never later find a committed N-1 (sequences alone do not promise that).
 */
const APPEND_LOCK = 0x61_69_64_6d; // "aidm"


type NewEvent = typeof events.$inferInsert;

/** The form of a match each party sees; built by the matches service (it owns the view). */
export type MatchForm = (viewer: { id: string }) => unknown;

/** A post's change as its event carries it; built by the posts feature, which owns the views. */
export interface PostChange {
  id: string;
  type: PostEventType;
  /** Its public point now, and where that was when the change moved it. */
  at: { lat: number; lng: number };
  movedFrom: { lat: number; lng: number } | null;
  kind: NonNullable<NewEvent['kind']>;
  category: NonNullable<NewEvent['category']>;
  authorId: string;
  /** Its title, for the alerts a new need meets. */
  title: string;
  publicView: unknown;
  authorView: unknown;
}


/** A post's change as its event row. */
function postEvent(change: PostChange, now: Date): NewEvent {
  return {
    type: change.type,
    lat: change.at.lat,
    lng: change.at.lng,
    prevLat: change.movedFrom?.lat ?? null,
    prevLng: change.movedFrom?.lng ?? null,
    kind: change.kind,
    category: change.category,
    authorId: change.authorId,
    data: { post: change.publicView },
    authorData: { post: change.authorView },
    createdAt: now,
  };
}

/** Who a match event is about and who caused it (null: the server did); notify false: the parties' inboxes are not told. */
export interface MatchEventOf {
  matchId: string;
  actorId: string | null;
  notify?: boolean;
}

/** A post a match is between, as the outbox needs it. */
export interface MatchSide {
  id: string;
  authorId: string;
  title: string;
}

export class Outbox {
  private readonly pending: NewEvent[] = [];
  /** What the people concerned are told (inbox, push, e-mail), written with the events. */
  private readonly notes: NewNotification[] = [];
  /** New needs, for the alerts they meet. */
  private readonly needs: NewNeed[] = [];
  /** Post events' rows by post id: flush adds who organizes each. */
  private readonly posts = new Map<string, NewEvent[]>();

  constructor(readonly now: Date) {}

  /**
   * A post was created or changed, as the posts feature prepared it
   * (posts/view.ts postChange): its public point, the form everyone may see
   * and the form its author sees. Flush adds who organizes it.
   */
  post(change: PostChange): void {
    const event = postEvent(change, this.now);
    this.pending.push(event);
    const same = this.posts.get(change.id);
    if (same) {
      same.push(event);
    } else {
      this.posts.set(change.id, [event]);
    }
  }

  /**
   * A match event for its two parties, each in the form they may see; the
   * party who did not cause it is notified (both, when the server did).
   */
  match(type: MatchEventType, of: MatchEventOf, need: MatchSide, offer: MatchSide, view: MatchForm): void {
    const parties = [need.authorId, offer.authorId];
    this.pending.push({
      type,
      audience: parties,
      data: Object.fromEntries(parties.map((id) => [id, { match: view({ id }) }])),
      createdAt: this.now,
    });
    // Suggestions come and go with every post nearby: pages show them live; they are nobody's notification.
    if (of.notify !== false && type !== 'match.suggested') {
      for (const userId of parties.filter((id) => id !== of.actorId)) {
        this.notes.push({ userId, kind: type as Exclude<MatchEventType, 'match.suggested'>, postId: need.id, matchId: of.matchId, actorId: of.actorId, data: { title: need.title } });
      }
    }
  }

  /** A message in a match's thread, to both parties; the one who did not write it is notified. */
  message(match: { id: string; title: string }, parties: string[], message: Message): void {
    this.pending.push({
      type: 'message.created',
      audience: parties,
      data: Object.fromEntries(parties.map((id) => [id, { matchId: match.id, message }])),
      createdAt: this.now,
    });
    for (const userId of parties.filter((id) => id !== message.author.id)) {
      this.notes.push({
        userId,
        kind: 'message.created',
        matchId: match.id,
        actorId: message.author.id,
        data: { title: match.title, text: message.body.length > 140 ? `${message.body.slice(0, 139)}…` : message.body },
      });
    }
  }

  /** A notification no other event tells of (an organizer's note to a member): their open pages hear `inbox`. */
  note(note: NewNotification): void {
    this.notes.push(note);
    this.pending.push({ type: 'inbox', audience: [note.userId], data: { [note.userId]: {} }, createdAt: this.now });
  }

  /**
   * A new need, for the helpers whose alerts it meets (told at its public
   * point): their notifications, and `inbox` to their open pages. A
   * follow-up of the post's creation (posts/followup.ts), run as a job.
   */
  needAlerts(need: NewNeed): void {
    this.needs.push(need);
  }

  /** A hygiene notice to the people it concerns (each gets the same form), who are notified of it. */
  notice(audience: string[], notice: Notice): void {
    if (audience.length === 0) {
      return;
    }
    this.pending.push({ type: 'notice', audience, data: Object.fromEntries(audience.map((id) => [id, { notice }])), createdAt: this.now });
    for (const userId of audience) {
      this.notes.push({ userId, kind: notice.kind, postId: notice.postId, matchId: notice.matchId, communityId: notice.communityId, data: { title: notice.title } });
    }
  }

  get size(): number {
    return this.pending.length;
  }

  /**
   * Appends what was collected and wakes the hubs; call last in the
   * transaction. One statement takes the ordering lock, queues the NOTIFY
   * and inserts the rows, so the lock is held for that statement and the
   * commit only (bench:outbox measured three round trips under it cutting
   * concurrent writers to a third).
   */
  async flush(tx: Executor): Promise<void> {
    if (this.pending.length === 0 && this.notes.length === 0 && this.needs.length === 0) {
      return;
    }
    // The notifications and their delivery jobs, before the ordering lock is taken. Those told of a
    // new need by their alerts hear of it live too (the other notifications come with their own event).
    await recordNotifications(tx, this.now, this.notes.splice(0));
    const alerted = await recordNeedAlerts(tx, this.now, this.needs.splice(0));
    if (alerted.length > 0) {
      this.pending.push({ type: 'inbox', audience: alerted, data: Object.fromEntries(alerted.map((id) => [id, {}])), createdAt: this.now });
    }
    // Who organizes each post, read before the lock is taken. The posts are
    // written by now, in this transaction, so this is where they are after it.
    if (this.posts.size > 0) {
      for (const [postId, organizers] of await entitledOrganizers(tx, [...this.posts.keys()])) {
        for (const event of this.posts.get(postId)!) {
          event.organizers = organizers;
        }
      }
      this.posts.clear();
    }
    if (this.pending.length === 0) {
      return;
    }
    await tx.execute(appendSql(this.pending.splice(0).map((e) => eventRow(e, this.now))));
  }
}

/** An event as the append statement takes it (snake_case, JSON). */
function eventRow(e: NewEvent, now: Date) {
  return {
    type: e.type,
    lat: e.lat ?? null,
    lng: e.lng ?? null,
    prev_lat: e.prevLat ?? null,
    prev_lng: e.prevLng ?? null,
    kind: e.kind ?? null,
    category: e.category ?? null,
    author_id: e.authorId ?? null,
    audience: e.audience ?? null,
    data: e.data,
    author_data: e.authorData ?? null,
    organizers: e.organizers ?? null,
    created_at: (e.createdAt ?? now).toISOString(),
  };
}

/**
 * The append: takes the ordering lock, queues the NOTIFY and inserts the
 * rows, in one statement. The lock subquery yields its row before any row is
 * inserted, so every seq (nextval) is taken under the lock; the function scan
 * keeps the rows' order. NOTIFYs of one transaction fold into one, delivered
 * at commit. `organizers` (SQL) replaces the rows' own; `when` (SQL) gates the
 * whole append, lock included.
 */
function appendSql(rows: ReturnType<typeof eventRow>[], options: { organizers?: SQL; when?: SQL } = {}): SQL {
  return sql`
    INSERT INTO ${events} (type, lat, lng, prev_lat, prev_lng, kind, category, author_id, audience, data, author_data, organizers, created_at)
    SELECT x.type, x.lat, x.lng, x.prev_lat, x.prev_lng, x.kind, x.category, x.author_id, x.audience, x.data, x.author_data,
           ${options.organizers ?? sql`x.organizers`}, x.created_at
    FROM (SELECT pg_advisory_xact_lock(${APPEND_LOCK}), pg_notify(${EVENTS_CHANNEL}, '')) AS l,
         jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(type text, lat float8, lng float8, prev_lat float8, prev_lng float8,
           kind post_kind, category post_category, author_id uuid, audience uuid[], data jsonb, author_data jsonb, organizers uuid[],
           created_at timestamptz)
    ${options.when ? sql`WHERE ${options.when}` : sql``}`;
}

/**
 * A new post's event, appended by the statement that writes the post
 * (postsRepo.create): a data-modifying `WITH` part, gated by `when`, to run
 * last in it so the ordering lock is held for the commit only. Who
 * organizes the post is found from its true place (entitledOrganizersAt,
 * access/roles.ts), the statement being unable to read the post it writes.
 */
export function postCreatedSql(change: PostChange, now: Date, truePlace: { lat: number; lng: number }, when: SQL): SQL {
  const place = sql`ST_SetSRID(ST_MakePoint(${truePlace.lng}::float8, ${truePlace.lat}::float8), 4326)::geography`;
  const organizers = entitledOrganizersAt(place, sql`${change.authorId}::uuid`);
  return sql`${appendSql([eventRow(postEvent(change, now), now)], { organizers, when })} RETURNING 1`;
}
