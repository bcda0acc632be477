// The live hub of one process: its sockets, their subscriptions in an
// R-tree, and a tailer that reads the events table by `seq` and fans each
// event out to the sockets that may see it. Every process runs one; the
// events table (not memory) is the source of truth, so a change made through
// any process reaches sockets on all of them, and a reconnecting client
// resumes from the last `seq` it saw.
import { desc, gt, lt, sql } from 'drizzle-orm';
import RBush from 'rbush';
import type { WebSocket } from 'ws';
import { type Database, events, rowsOf } from '../../db';
import type { Clock } from '../clock';
import type { Scheduler } from '../plugins/jobs';
import { EVENTS_CHANNEL } from './outbox';
import { organizedPostIds } from '../access';
import { inBBox } from '../contract/bbox';
import { type BBox } from '../contract/live';

/** At least 24 hours are kept for resuming (the contract); pruned past 48. */
export const RETENTION_MS = 48 * 3600 * 1000;
/** A resume that would replay more than this reloads instead (resync). */
const MAX_REPLAY = 20_000;
/** Read this many events per query when catching up. */
const BATCH = 1000;

export interface Subscription {
  bbox: BBox;
  kinds: ReadonlySet<string> | null;
  categories: ReadonlySet<string> | null;
}

export type EventRow = Pick<
  typeof events.$inferSelect,
  'seq' | 'type' | 'lat' | 'lng' | 'prevLat' | 'prevLng' | 'kind' | 'category' | 'authorId' | 'audience' | 'data' | 'authorData' | 'organizers'
>;

export interface HubOptions {
  /** Close a socket whose unsent data passes this many bytes (1013); it can reconnect and resume. */
  maxBufferedBytes: number;
  /** How often to look for new events when no NOTIFY came (a safety net; NOTIFY wakes the tailer at once). */
  pollMs: number;
  /** How often to drop events older than RETENTION_MS. */
  pruneMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = { maxBufferedBytes: 1024 * 1024, pollMs: 1000, pruneMs: 10 * 60 * 1000 };

interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  client: LiveClient;
}

/** One socket: who it is, what it watches, and its ordering while a resume replays. */
export class LiveClient {
  subscription: Subscription | null = null;
  boxes: Box[] = [];
  /** While a resume replays: live frames wait here, in order, to follow it. */
  queued: { seq: number; text: string }[] | null = null;
  /** The last seq dispatched when this socket connected or last subscribed: later events reach it live. */
  liveFrom = 0;
  alive = true;
  /** People this client's user blocked or was blocked by: their posts do not reach it. */
  blocked: ReadonlySet<string> = new Set();

  constructor(
    readonly socket: WebSocket,
    readonly userId: string | null,
    /** The session it was opened with (sessionKey), closed when that session signs out. */
    readonly session: string | null = null,
  ) {}
}

/**
 * The payload this client may see of this event, or undefined: private
 * events for their audience, a post's exact form for its author (whatever
 * their box), and for sockets whose box and filters take it: the exact form
 * to the organizers entitled to it when the event was written (its
 * community's, when its author is a member), the public form to others.
 */
export function formFor(client: LiveClient, ev: EventRow): { key: string; payload: unknown } | undefined {
  if (ev.audience) {
    if (client.userId !== null && ev.audience.includes(client.userId)) {
      return { key: client.userId, payload: ev.data[client.userId] };
    }
    return undefined;
  }
  if (client.userId !== null && client.userId === ev.authorId) {
    return { key: 'author', payload: ev.authorData };
  }
  if (ev.authorId && client.blocked.has(ev.authorId)) {
    return undefined;
  }
  const sub = client.subscription;
  if (!sub || ev.lat === null || ev.lng === null) {
    return undefined;
  }
  if ((sub.kinds && !sub.kinds.has(ev.kind!)) || (sub.categories && !sub.categories.has(ev.category!))) {
    return undefined;
  }
  const here = inBBox(sub.bbox, ev.lat, ev.lng) || (ev.prevLat !== null && ev.prevLng !== null && inBBox(sub.bbox, ev.prevLat, ev.prevLng));
  if (!here) {
    return undefined;
  }
  return client.userId !== null && ev.organizers?.includes(client.userId) ? { key: 'author', payload: ev.authorData } : { key: 'public', payload: ev.data };
}

/** The post a post event is about. */
function postIdOf(ev: EventRow): string {
  return (ev.data as { post: { id: string } }).post.id;
}

function frame(ev: EventRow, payload: unknown): string {
  return JSON.stringify({ type: ev.type, seq: ev.seq, ...(payload as object) });
}

export type ResumeResult = { replayed: number } | { resync: true };

export class Hub {
  private readonly tree = new RBush<Box>();
  private readonly byUser = new Map<string, Set<LiveClient>>();
  readonly clients = new Set<LiveClient>();
  /** The last seq read and dispatched by this process. */
  lastSeq = 0;
  private polling: Promise<void> | null = null;
  private again = false;
  private timers: (() => void)[] = [];
  private unlisten: (() => Promise<void>) | null = null;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
    private readonly options: HubOptions,
    private readonly scheduler: Scheduler,
  ) {}

  /** Reads go through the database's tail connection, apart from the request pool. */
  private get db() {
    return this.database.tail;
  }

  /** Starts from the newest event (sockets resume from what they saw; nobody is owed older ones). */
  async start(): Promise<void> {
    const [last] = await this.db.select({ seq: events.seq }).from(events).orderBy(desc(events.seq)).limit(1);
    this.lastSeq = last?.seq ?? 0;
    this.unlisten = await this.database.listen(EVENTS_CHANNEL, () => this.wake());
    this.timers.push(
      this.scheduler.every('live poll', this.options.pollMs, () => this.wake()),
      this.scheduler.every('prune live events', this.options.pruneMs, () => this.prune()),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.splice(0)) {
      cancel();
    }
    await this.unlisten?.().catch(() => {});
    await this.polling?.catch(() => {});
  }

  add(client: LiveClient): void {
    client.liveFrom = this.lastSeq;
    this.clients.add(client);
    if (client.userId !== null) {
      let mine = this.byUser.get(client.userId);
      if (!mine) {
        mine = new Set();
        this.byUser.set(client.userId, mine);
      }
      mine.add(client);
    }
  }

  remove(client: LiveClient): void {
    this.clients.delete(client);
    for (const box of client.boxes) {
      this.tree.remove(box);
    }
    client.boxes = [];
    if (client.userId !== null) {
      const mine = this.byUser.get(client.userId);
      mine?.delete(client);
      if (mine?.size === 0) {
        this.byUser.delete(client.userId);
      }
    }
  }

  /** Replaces the client's subscription (and its place in the R-tree). */
  subscribe(client: LiveClient, subscription: Subscription): void {
    for (const box of client.boxes) {
      this.tree.remove(box);
    }
    const [w, s, e, n] = subscription.bbox;
    client.boxes =
      w <= e
        ? [{ minX: w, minY: s, maxX: e, maxY: n, client }]
        : [
            { minX: w, minY: s, maxX: 180, maxY: n, client },
            { minX: -180, minY: s, maxX: e, maxY: n, client },
          ];
    for (const box of client.boxes) {
      this.tree.insert(box);
    }
    client.subscription = subscription;
    client.liveFrom = this.lastSeq;
  }

  /** New events may be there: read them (coalesced: one reader at a time, once more if woken meanwhile). */
  wake(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.again = false;
          await this.readNew();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.log.error({ err: error }, 'reading live events failed; retrying on the next wake');
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const rows = await this.db
        .select(eventColumns)
        .from(events)
        .where(gt(events.seq, this.lastSeq))
        .orderBy(events.seq)
        .limit(BATCH);
      for (const ev of rows) {
        this.lastSeq = ev.seq;
        this.dispatch(ev);
      }
      if (rows.length < BATCH) {
        return;
      }
    }
  }

  /** Sends one event to every socket here that may see it; each form is serialized once. */
  dispatch(ev: EventRow): void {
    const targets = new Set<LiveClient>();
    if (ev.audience) {
      for (const userId of ev.audience) {
        for (const client of this.byUser.get(userId) ?? []) {
          targets.add(client);
        }
      }
    } else {
      if (ev.authorId) {
        for (const client of this.byUser.get(ev.authorId) ?? []) {
          targets.add(client);
        }
      }
      for (const [lat, lng] of [
        [ev.lat, ev.lng],
        [ev.prevLat, ev.prevLng],
      ]) {
        if (lat !== null && lng !== null) {
          for (const box of this.tree.search({ minX: lng!, minY: lat!, maxX: lng!, maxY: lat! })) {
            targets.add(box.client);
          }
        }
      }
    }
    const texts = new Map<string, string>();
    for (const client of targets) {
      const form = formFor(client, ev);
      if (!form) {
        continue;
      }
      let text = texts.get(form.key);
      if (text === undefined) {
        text = frame(ev, form.payload);
        texts.set(form.key, text);
      }
      this.deliver(client, ev.seq, text);
    }
  }

  private deliver(client: LiveClient, seq: number, text: string): void {
    if (client.queued) {
      client.queued.push({ seq, text });
      if (client.queued.length > MAX_REPLAY) {
        this.tooSlow(client);
      }
      return;
    }
    this.send(client, text);
  }

  /** Sends unless the socket's unsent data has passed the limit: then it is closed (1013) rather than let memory grow. */
  send(client: LiveClient, text: string): void {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) {
      return;
    }
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.tooSlow(client);
      return;
    }
    socket.send(text);
  }

  private tooSlow(client: LiveClient): void {
    this.remove(client);
    client.queued = null;
    client.socket.close(1013, 'Too far behind; reconnect and resume');
  }

  /**
   * Replays, in order, the events after `since` this client may see and
   * that were dispatched before it (re)subscribed; later ones reach it live
   * and are held back until the replay is done. Resync when `since` is
   * older than what is kept, newer than any seq issued, or too far back to
   * be worth replaying. For a gapless, ordered stream the client subscribes
   * with `since` (one frame); a separate `resume` after live events already
   * arrived cannot put older ones before them.
   */
  async resume(client: LiveClient, since: number): Promise<ResumeResult> {
    client.queued ??= [];
    try {
      await this.wake(); // catch up first: the client may have seen newer events on another process
      if (since > this.lastSeq) {
        return { resync: true };
      }
      if (since < this.lastSeq) {
        const [oldest] = await this.db.select({ seq: events.seq }).from(events).orderBy(events.seq).limit(1);
        if (!oldest || since < oldest.seq - 1) {
          return { resync: true };
        }
      }
      const upTo = client.liveFrom;
      let replayed = 0;
      if (since < upTo) {
        const rows = await this.db
          .select(eventColumns)
          .from(events)
          .where(sql`${events.seq} > ${since} AND ${events.seq} <= ${upTo}`)
          .orderBy(events.seq)
          .limit(MAX_REPLAY + 1);
        if (rows.length > MAX_REPLAY) {
          return { resync: true };
        }
        // Organizers were entitled when each event was written; a replay asks again, so a demotion, a
        // suspension or an author who left since is not undone by resuming from an older seq.
        const forms = rows.map((ev) => formFor(client, ev));
        const asOrganizer = rows.filter((ev, i) => forms[i]?.key === 'author' && ev.authorId !== client.userId);
        const still =
          asOrganizer.length > 0 && client.userId !== null
            ? await organizedPostIds(this.db, client.userId, [...new Set(asOrganizer.map((ev) => postIdOf(ev)))])
            : new Set<string>();
        rows.forEach((ev, i) => {
          let form = forms[i];
          if (form?.key === 'author' && ev.authorId !== client.userId && !still.has(postIdOf(ev))) {
            form = { key: 'public', payload: ev.data };
          }
          if (form) {
            this.send(client, frame(ev, form.payload));
            replayed++;
          }
        });
      }
      for (const q of client.queued ?? []) {
        if (q.seq > since) {
          this.send(client, q.text);
        }
      }
      return { replayed };
    } finally {
      client.queued = null;
    }
  }

  /** Holds live events for this client (a subscribe that resumes: nothing goes out before the replay). */
  hold(client: LiveClient): void {
    client.queued ??= [];
  }

  /** Drops events past retention. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - RETENTION_MS);
    // Counted in the database: a prune can drop many thousands of rows.
    const result = await this.db.execute(
      sql`WITH gone AS (DELETE FROM ${events} WHERE ${lt(events.createdAt, cutoff)} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  }
}

const eventColumns = {
  seq: events.seq,
  type: events.type,
  lat: events.lat,
  lng: events.lng,
  prevLat: events.prevLat,
  prevLng: events.prevLng,
  kind: events.kind,
  category: events.category,
  authorId: events.authorId,
  audience: events.audience,
  data: events.data,
  authorData: events.authorData,
  organizers: events.organizers,
};
