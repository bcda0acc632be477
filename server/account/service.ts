// A person's own account beyond signing in: the name others see, and
// deleting it all. Deleting cancels every post (and with them the matches,
// whose other parties are told), erases every exact place, drops sessions,
// browsers, alerts, choices, memberships and notifications, and leaves a
// nameless row so the other side of a thread keeps its messages, from
// "a former neighbour". All in one transaction: it happens entirely or not.
import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  accountTokens,
  alerts,
  calendarTokens,
  type DB,
  type Executor,
  idempotencyKeys,
  memberships,
  notificationPrefs,
  notifications,
  posts,
  pushSubscriptions,
  users,
} from '../../db';
import { announceEnded, type SessionUser, sessionsRepo } from '../auth/repository';
import { verifyPassword } from '../auth/passwords';
import { HttpProblem, invalid } from '../http/problem';
import { cancelPostAndMatches } from '../matches/service';

/** What others see of a deleted account's messages and matches. */
export const FORMER_NEIGHBOUR = 'A former neighbour';

/** The languages mails and pushes are written in. */
export const LOCALES = ['en', 'es'] as const;
export type AccountLocale = (typeof LOCALES)[number];

/** Changes the name others see and/or the language the person is written to in; answers both as they now are. */
export async function updateAccount(db: Executor, user: SessionUser, change: { displayName?: string; locale?: AccountLocale }): Promise<{ displayName: string; locale: AccountLocale }> {
  const set: { displayName?: string; locale?: AccountLocale } = {};
  if (change.displayName !== undefined) {
    const name = change.displayName.trim();
    if (name === '') {
      throw invalid([{ path: '/displayName', message: 'must not be blank', code: 'blank' }]);
    }
    // The name of deleted accounts: nobody may pass as one.
    if (name.toLowerCase() === FORMER_NEIGHBOUR.toLowerCase()) {
      throw invalid([{ path: '/displayName', message: 'is the name shown for deleted accounts; choose another', code: 'name.reserved' }]);
    }
    set.displayName = name;
  }
  if (change.locale !== undefined) {
    set.locale = change.locale;
  }
  const [row] = await db.update(users).set(set).where(eq(users.id, user.id)).returning({ displayName: users.displayName, locale: users.locale });
  return { displayName: row!.displayName, locale: LOCALES.find((l) => l === row!.locale) ?? 'en' };
}

/**
 * Deletes the account after its password is given again (a borrowed phone
 * with a live session must not be enough); answers how many posts it
 * cancelled.
 */
export async function deleteAccount(db: DB, user: SessionUser, password: string, now: Date): Promise<{ cancelledPosts: number }> {
  const [row] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, user.id));
  if (!(await verifyPassword(row?.hash, password))) {
    throw new HttpProblem(403, 'The password is not right. Your account is unchanged.', [{ path: '/password', message: 'is not right', code: 'password.wrong' }], 'password.wrong');
  }
  const { ended, cancelled } = await db.transaction(async (tx) => {
    // The name goes first, so the notifications the cancellations write name nobody.
    await tx
      .update(users)
      .set({ displayName: FORMER_NEIGHBOUR, email: `deleted+${user.id}@aidmap.invalid`, passwordHash: '!', emailVerifiedAt: null, deletedAt: now })
      .where(eq(users.id, user.id));
    const mine = await tx
      .select({ id: posts.id })
      .from(posts)
      .where(and(eq(posts.authorId, user.id), inArray(posts.status, ['open', 'matched'])))
      .orderBy(posts.id);
    for (const post of mine) {
      // A savepoint each, within this transaction; the posts are locked in id order as everywhere.
      await cancelPostAndMatches(tx, user, post.id, now);
    }
    // Nobody keeps the exact places: each post's place becomes the public one everyone saw.
    await tx.execute(sql`
      UPDATE ${posts} SET location = public_location, destination = public_destination
      WHERE author_id = ${user.id}`);
    for (const table of [pushSubscriptions, alerts, notificationPrefs, notifications, accountTokens, calendarTokens, idempotencyKeys]) {
      await tx.delete(table).where(eq(table.userId, user.id));
    }
    await tx.delete(memberships).where(eq(memberships.userId, user.id));
    return { ended: await sessionsRepo.deleteAllOf(tx, user.id), cancelled: mine.length };
  });
  // Open pages of the account, on any device, are signed out.
  await announceEnded(db, ended);
  return { cancelledPosts: cancelled };
}
