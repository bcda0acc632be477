// The e-mail channel: a person's notifications due by e-mail wait for their
// next mail (one `email` job a person, record.ts), which carries them all.
// Not more than one mail per MAIL_DIGEST_MINUTES: a job that comes sooner
// puts itself off to then, and what arrives meanwhile goes with it. Only a
// verified address is written to; each mail says how to stop mails of its
// kinds in one click (RFC 8058), by a link signed for that person.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type DB, notifications, notificationPrefs, rowsOf, users } from '../../db';
import { NOTIFICATION_KIND_NAMES, NOTIFICATION_KINDS, type NotificationKind } from '../contract/notifications';
import type { Mailer } from '../mail/transport';
import { digestMail, type MailItem, mailLocale } from '../mail/texts';
import { type JobHandler, PermanentJobError } from '../queue/queue';

export interface EmailChannel {
  db: DB;
  mailer: Mailer;
  publicUrl: string;
  digestMs: number;
  /** Signs the one-click unsubscribe links (loadSecret(db, 'unsubscribe')). */
  unsubscribeKey: Buffer;
}

/** What a one-click link turns off: these kinds by e-mail, for this person. */
export interface Unsubscribe {
  userId: string;
  kinds: NotificationKind[];
}

export function unsubscribeToken(key: Buffer, u: Unsubscribe): string {
  const body = Buffer.from(JSON.stringify({ u: u.userId, k: u.kinds })).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The person and kinds a token names, or null when it was not signed by us (or is malformed). */
export function readUnsubscribeToken(key: Buffer, token: string): Unsubscribe | null {
  const [body, mac] = token.split('.');
  if (!body || !mac) {
    return null;
  }
  const want = createHmac('sha256', key).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    return null;
  }
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { u?: unknown; k?: unknown };
    const kinds = Array.isArray(parsed.k) ? parsed.k.filter((k): k is NotificationKind => NOTIFICATION_KIND_NAMES.includes(k as NotificationKind)) : [];
    return typeof parsed.u === 'string' && kinds.length > 0 ? { userId: parsed.u, kinds } : null;
  } catch {
    return null;
  }
}

/** Turns e-mail off for these kinds (the one-click link and the settings page do the same). */
export async function unsubscribe(db: DB, u: Unsubscribe): Promise<void> {
  await db
    .insert(notificationPrefs)
    .values(u.kinds.map((kind) => ({ userId: u.userId, kind, channel: 'email', enabled: false })))
    .onConflictDoUpdate({ target: [notificationPrefs.userId, notificationPrefs.kind, notificationPrefs.channel], set: { enabled: false } });
}

interface Due {
  id: string;
  kind: NotificationKind;
  postId: string | null;
  matchId: string | null;
  data: { title?: string; actorName?: string; text?: string };
}

export function emailJobHandler(channel: EmailChannel): JobHandler {
  const { db, mailer, publicUrl, digestMs } = channel;
  return async (payload, job) => {
    const userId = String(payload.userId);
    const [person] = await db
      .select({ email: users.email, name: users.displayName, locale: users.locale, verified: users.emailVerifiedAt, deleted: users.deletedAt })
      .from(users)
      .where(eq(users.id, userId));
    const waiting = await db
      .select({ id: notifications.id, kind: notifications.kind, postId: notifications.postId, matchId: notifications.matchId, data: notifications.data })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), eq(notifications.email, 'due')))
      .orderBy(notifications.seq)
      .limit(50);
    if (waiting.length === 0) {
      return;
    }
    if (!person || person.verified === null || person.deleted !== null) {
      // The address is no longer one we may write to: these go by no mail.
      await db.update(notifications).set({ email: null }).where(inArray(notifications.id, waiting.map((d) => d.id)));
      return;
    }
    // A kind turned off since they were written (an unsubscribe link, the settings page) while they waited for
    // the digest goes by no mail either: the choice counts from when it is made, not from the next notification.
    const prefs = await db
      .select({ kind: notificationPrefs.kind, enabled: notificationPrefs.enabled })
      .from(notificationPrefs)
      .where(and(eq(notificationPrefs.userId, userId), eq(notificationPrefs.channel, 'email')));
    const chosen = new Map(prefs.map((p) => [p.kind, p.enabled]));
    const wanted = (kind: NotificationKind) => chosen.get(kind) ?? NOTIFICATION_KINDS[kind].email;
    const unwanted = waiting.filter((d) => !wanted(d.kind as NotificationKind));
    if (unwanted.length > 0) {
      await db.update(notifications).set({ email: null }).where(inArray(notifications.id, unwanted.map((d) => d.id)));
    }
    const due = waiting.filter((d) => wanted(d.kind as NotificationKind));
    if (due.length === 0) {
      // A full page of unwanted ones: the next page may hold some that are wanted.
      return waiting.length === 50 ? { again: job.now } : undefined;
    }
    const [last] = rowsOf<{ at: Date | string | null }>(
      await db.execute(sql`SELECT max(emailed_at) AS at FROM ${notifications} WHERE user_id = ${userId} AND email = 'sent'`),
    );
    const lastAt = last?.at ? new Date(last.at).getTime() : null;
    if (lastAt !== null && job.now.getTime() - lastAt < digestMs) {
      return { again: new Date(lastAt + digestMs) };
    }
    const items: MailItem[] = (due as Due[]).map((d) => ({
      kind: d.kind,
      title: d.data.title,
      actorName: d.data.actorName,
      text: d.data.text,
      url: d.matchId ? `${publicUrl}/matches/${d.matchId}` : d.postId ? `${publicUrl}/posts/${d.postId}` : `${publicUrl}/inbox`,
    }));
    const kinds = [...new Set(items.map((i) => i.kind))];
    const stop = `${publicUrl}/api/unsubscribe?token=${unsubscribeToken(channel.unsubscribeKey, { userId, kinds })}`;
    const mail = digestMail(mailLocale(person.locale), person.name, items, { inbox: `${publicUrl}/inbox`, settings: `${publicUrl}/account` });
    try {
      await mailer.send({
        to: person.email,
        subject: mail.subject,
        text: mail.text,
        headers: { 'List-Unsubscribe': `<${stop}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      // 5xx: the server refuses this mail for good (no such mailbox, say). These notifications go by no mail;
      // the inbox has them. Anything else (a server away, a 4xx) is tried again.
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) {
        await db.update(notifications).set({ email: null }).where(inArray(notifications.id, due.map((d) => d.id)));
        throw new PermanentJobError(`the mail server refused the mail (${code})`);
      }
      throw error;
    }
    // Sent: a process that died just before this line sends them again (at least once, never lost).
    await db
      .update(notifications)
      .set({ email: 'sent', emailedAt: job.now })
      .where(inArray(notifications.id, due.map((d) => d.id)));
    // More than one mail lists, or some came while this one was sent (their enqueue found this job waiting): the next mail.
    const [more] = await db
      .select({ id: notifications.id })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), eq(notifications.email, 'due')))
      .limit(1);
    if (more) {
      return { again: new Date(job.now.getTime() + digestMs) };
    }
  };
}

/**
 * The safety net: a notification due by e-mail whose person has no mail job
 * waiting (it came in the instant between a mail's last look and its job's
 * end) gets one. Run every minute; the partial index keeps it cheap.
 */
export async function enqueueStrandedMail(db: DB, now: Date): Promise<void> {
  await db.execute(sql`
    INSERT INTO jobs (kind, key, payload, run_at, created_at)
    SELECT DISTINCT 'email', 'email:' || n.user_id, jsonb_build_object('userId', n.user_id), ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
    FROM ${notifications} n
    WHERE n.email = 'due' AND n.created_at < ${new Date(now.getTime() - 60_000).toISOString()}::timestamptz
      AND n.created_at > ${new Date(now.getTime() - 86_400_000).toISOString()}::timestamptz
    ON CONFLICT (key) WHERE failed_at IS NULL DO NOTHING`);
}
