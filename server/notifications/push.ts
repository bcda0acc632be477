// Web Push, the channel: the browsers a person subscribed (registered by
// push-routes.ts), and the job that delivers one notification to one of
// them (recorded with the notification, record.ts). What the message says
// is written here, in the person's language; server/push encrypts, signs
// and sends it.
import { and, asc, desc, eq, ne, notInArray } from 'drizzle-orm';
import { type DB, type Executor, notifications, posts, pushSubscriptions, users } from '../../db';
import type { NotificationData, NotificationKind } from '../contract/notifications';
import { MAX_PUSH_SUBSCRIPTIONS, type PushMessage } from '../contract/push';
import { type JobHandler, PermanentJobError, type Queue } from '../queue/queue';
import { loadPushSender, PushRefusedError, type PushSender, type PushSenderOptions, type PushTarget, type PushUrgency } from '../push/send';
import { PUSH_JOB } from './record';

export type PushLocale = 'en' | 'es';

/** What a message is made from: the notification, and whose need it is about. */
export interface PushSource {
  kind: NotificationKind;
  /** The person it goes to. */
  userId: string;
  postId: string | null;
  matchId: string | null;
  communityId: string | null;
  data: NotificationData;
  /** The author of `postId` (for match kinds, the need's): tells "offered to help" from "asked for your help". */
  postAuthorId: string | null;
}

interface Said {
  actor: string;
  title: string;
  text: string;
}

type Phrase = (s: Said) => { title: string; body: string };

/** Each kind's message; `match.proposed` in two forms, for the need's author and for the offer's. */
type PhraseKey = Exclude<NotificationKind, 'match.proposed' | 'match.cancelled'> | 'match.proposed.help' | 'match.proposed.ask' | 'match.cancelled.by' | 'match.cancelled';

const PHRASES: Record<PushLocale, { someone: string } & Record<PhraseKey, Phrase>> = {
  en: {
    someone: 'Someone',
    'match.proposed.help': (s) => ({ title: `${s.actor} offered to help`, body: s.title }),
    'match.proposed.ask': (s) => ({ title: `${s.actor} asked for your help`, body: s.title }),
    'match.accepted': (s) => ({ title: `${s.actor} accepted the match`, body: s.title }),
    'match.declined': (s) => ({ title: `${s.actor} declined the match`, body: s.title }),
    'match.cancelled.by': (s) => ({ title: `${s.actor} cancelled the match`, body: s.title }),
    'match.cancelled': (s) => ({ title: 'A match was cancelled', body: s.title }),
    'match.completed': (s) => ({ title: `${s.actor} marked the match done`, body: s.title }),
    'message.created': (s) => ({ title: `Message from ${s.actor}`, body: s.text }),
    still_needed: (s) => ({ title: 'Still needed?', body: `Nobody has offered for “${s.title}” yet, and it starts within a day.` }),
    proposal_expired: (s) => ({ title: 'A proposal was withdrawn', body: `Nobody answered the proposal for “${s.title}” in time.` }),
    late_cancellation: (s) => ({ title: 'Help cancelled at the last minute', body: s.title }),
    need_nearby: (s) => ({ title: 'A new need near you', body: s.title }),
  },
  es: {
    someone: 'Alguien',
    'match.proposed.help': (s) => ({ title: `${s.actor} se ofreció a ayudar`, body: s.title }),
    'match.proposed.ask': (s) => ({ title: `${s.actor} pidió su ayuda`, body: s.title }),
    'match.accepted': (s) => ({ title: `${s.actor} aceptó el acuerdo`, body: s.title }),
    'match.declined': (s) => ({ title: `${s.actor} rechazó el acuerdo`, body: s.title }),
    'match.cancelled.by': (s) => ({ title: `${s.actor} canceló el acuerdo`, body: s.title }),
    'match.cancelled': (s) => ({ title: 'Se canceló un acuerdo', body: s.title }),
    'match.completed': (s) => ({ title: `${s.actor} marcó el acuerdo como completado`, body: s.title }),
    'message.created': (s) => ({ title: `Mensaje de ${s.actor}`, body: s.text }),
    still_needed: (s) => ({ title: '¿Sigue haciendo falta?', body: `Nadie se ha ofrecido aún para «${s.title}» y empieza en menos de un día.` }),
    proposal_expired: (s) => ({ title: 'Se retiró una propuesta', body: `Nadie respondió a tiempo a la propuesta para «${s.title}».` }),
    late_cancellation: (s) => ({ title: 'Cancelación de última hora', body: s.title }),
    need_nearby: (s) => ({ title: 'Una nueva necesidad cerca', body: s.title }),
  },
};

/** A notification's lines are short on a lock screen; the rest is one tap away. */
const BODY_MAX = 300;

function phraseKey(source: PushSource): PhraseKey {
  switch (source.kind) {
    case 'match.proposed':
      return source.postAuthorId === source.userId ? 'match.proposed.help' : 'match.proposed.ask';
    case 'match.cancelled':
      // Cancelled by the server (a post deleted, an account suspended): nobody to name.
      return source.data.actorName ? 'match.cancelled.by' : 'match.cancelled';
    default:
      return source.kind;
  }
}

/** The message a notification makes, in `locale` (anything but `es` reads English). */
export function pushMessage(source: PushSource, locale: string): PushMessage {
  const phrases = PHRASES[locale === 'es' ? 'es' : 'en'];
  const said: Said = { actor: source.data.actorName || phrases.someone, title: source.data.title ?? '', text: source.data.text ?? '' };
  const { title, body } = phrases[phraseKey(source)](said);
  const url = source.matchId
    ? `/matches/${source.matchId}`
    : source.postId
      ? `/posts/${source.postId}`
      : source.communityId
        ? `/communities/${source.communityId}`
        : '/';
  return {
    title,
    body: body.length > BODY_MAX ? `${body.slice(0, BODY_MAX - 1)}…` : body,
    url,
    // One notification shown per match (its proposal, answer and messages) or post.
    tag: source.matchId ? `match:${source.matchId}` : source.postId ? `post:${source.postId}` : `${source.kind}:${source.communityId ?? ''}`,
  };
}

/** RFC 8030 §5.3: a last-minute cancellation wants someone now; new needs nearby can wait for the phone to wake. */
function urgencyOf(kind: NotificationKind): PushUrgency {
  switch (kind) {
    case 'late_cancellation':
      return 'high';
    case 'need_nearby':
      return 'low';
    default:
      return 'normal';
  }
}

export interface StoredSubscription extends PushTarget {
  userAgent: string | null;
}

export const subscriptionsRepo = {
  /**
   * Registers a browser for `userId`. An endpoint another person had moves
   * to this one as a new subscription (a shared browser changed hands; their
   * pending pushes are not sent to it). Past MAX_PUSH_SUBSCRIPTIONS, the
   * person's oldest go. Returns the row and whether it is new to this person.
   */
  async save(db: Executor, userId: string, sub: StoredSubscription, now: Date): Promise<{ id: string; createdAt: Date; created: boolean }> {
    return db.transaction(async (tx) => {
      await tx.delete(pushSubscriptions).where(and(eq(pushSubscriptions.endpoint, sub.endpoint), ne(pushSubscriptions.userId, userId)));
      const [mine] = await tx
        .update(pushSubscriptions)
        .set({ keys: sub.keys, userAgent: sub.userAgent })
        .where(and(eq(pushSubscriptions.endpoint, sub.endpoint), eq(pushSubscriptions.userId, userId)))
        .returning({ id: pushSubscriptions.id, createdAt: pushSubscriptions.createdAt });
      if (mine) {
        return { ...mine, created: false };
      }
      // Two requests at once for one endpoint: the second finds it there and counts as re-registering.
      const [added] = await tx
        .insert(pushSubscriptions)
        .values({ userId, endpoint: sub.endpoint, keys: sub.keys, userAgent: sub.userAgent, createdAt: now })
        .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { userId, keys: sub.keys, userAgent: sub.userAgent } })
        .returning({ id: pushSubscriptions.id, createdAt: pushSubscriptions.createdAt });
      const keep = await tx
        .select({ id: pushSubscriptions.id })
        .from(pushSubscriptions)
        .where(eq(pushSubscriptions.userId, userId))
        .orderBy(desc(pushSubscriptions.createdAt), desc(pushSubscriptions.id))
        .limit(MAX_PUSH_SUBSCRIPTIONS);
      await tx.delete(pushSubscriptions).where(
        and(
          eq(pushSubscriptions.userId, userId),
          notInArray(
            pushSubscriptions.id,
            keep.map((k) => k.id),
          ),
        ),
      );
      return { ...added!, created: true };
    });
  },

  /** Forgets the person's subscription at `endpoint` (another person's is left alone); whether there was one. */
  async remove(db: Executor, userId: string, endpoint: string): Promise<boolean> {
    const gone = await db
      .delete(pushSubscriptions)
      .where(and(eq(pushSubscriptions.endpoint, endpoint), eq(pushSubscriptions.userId, userId)))
      .returning({ id: pushSubscriptions.id });
    return gone.length > 0;
  },

  /** The person's subscriptions, oldest first. */
  async of(db: Executor, userId: string) {
    return db
      .select({ id: pushSubscriptions.id, endpoint: pushSubscriptions.endpoint, createdAt: pushSubscriptions.createdAt })
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.userId, userId))
      .orderBy(asc(pushSubscriptions.createdAt), asc(pushSubscriptions.id));
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `push` job (payload `{ notificationId, subscriptionId }`): sends the
 * notification to that browser. Nothing is sent when either is gone, when
 * the subscription now belongs to someone else, or when the person has
 * read the notification already (in the app, while the push waited).
 * A subscription the push service calls gone is deleted; a push service
 * that cannot take it now is tried again with the queue's backoff; one that
 * refuses it gives the job up.
 */
export function pushJobHandler(db: DB, sender: PushSender): JobHandler {
  return async (payload) => {
    const { notificationId, subscriptionId } = payload;
    if (typeof notificationId !== 'string' || !UUID.test(notificationId) || typeof subscriptionId !== 'string' || !UUID.test(subscriptionId)) {
      throw new PermanentJobError('a push job needs a notificationId and a subscriptionId');
    }
    const [row] = await db
      .select({
        kind: notifications.kind,
        userId: notifications.userId,
        postId: notifications.postId,
        matchId: notifications.matchId,
        communityId: notifications.communityId,
        data: notifications.data,
        readAt: notifications.readAt,
        locale: users.locale,
        postAuthorId: posts.authorId,
        endpoint: pushSubscriptions.endpoint,
        keys: pushSubscriptions.keys,
      })
      .from(notifications)
      .innerJoin(users, eq(users.id, notifications.userId))
      .innerJoin(pushSubscriptions, and(eq(pushSubscriptions.id, subscriptionId), eq(pushSubscriptions.userId, notifications.userId)))
      .leftJoin(posts, eq(posts.id, notifications.postId))
      .where(eq(notifications.id, notificationId));
    if (!row || row.readAt !== null) {
      return;
    }
    const message = pushMessage({ ...row, kind: row.kind as NotificationKind }, row.locale);
    let outcome;
    try {
      outcome = await sender.send({ endpoint: row.endpoint, keys: row.keys }, JSON.stringify(message), urgencyOf(row.kind as NotificationKind));
    } catch (err) {
      if (err instanceof PushRefusedError) {
        throw new PermanentJobError(err.message, { cause: err });
      }
      throw err;
    }
    if (outcome === 'gone') {
      await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, subscriptionId));
    }
  };
}

/**
 * Sets the queue's `push` handler up with this deployment's sender (its
 * VAPID keys made on first start); returns the sender, whose public key
 * the routes hand to browsers.
 */
export async function handlePushJobs(app: { db: DB; queue: Queue }, options: PushSenderOptions): Promise<PushSender> {
  const sender = await loadPushSender(app.db, options);
  app.queue.handle(PUSH_JOB, pushJobHandler(app.db, sender));
  return sender;
}
