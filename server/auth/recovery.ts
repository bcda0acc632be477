// Proving an address and recovering an account, by single-use links mailed
// to it. A link is a random token of which only the SHA-256 is stored; it is
// made by the job that mails it (never held in plain anywhere else), valid
// 24 hours to verify an address and 1 hour to reset a password, and used
// once. Asking for a reset answers the same whether or not the address has
// an account.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { accountTokens, type DB, type Executor, users } from '../../db';
import { HttpProblem, invalid } from '../http/problem';
import { resetMail, verifyMail, mailLocale } from '../mail/texts';
import type { Mailer } from '../mail/transport';
import { enqueue, type JobHandler } from '../queue/queue';
import { hashPassword } from './passwords';
import { passwordProblems } from './policy';
import { announceEnded, normalizeEmail, sessionsRepo } from './repository';

export type TokenPurpose = 'verify' | 'reset';
/** The job that mails a link (payload: purpose, userId, email). */
export const ACCOUNT_MAIL_JOB = 'account-mail';

const LIFETIME_MS: Record<TokenPurpose, number> = { verify: 24 * 3_600_000, reset: 3_600_000 };

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/** Asks for a link to be mailed, in the caller's transaction (it goes when the transaction commits). */
export async function mailLink(tx: Executor, now: Date, purpose: TokenPurpose, userId: string, email: string): Promise<void> {
  await enqueue(tx, now, [{ kind: ACCOUNT_MAIL_JOB, payload: { purpose, userId, email } }]);
}

/** The job: makes the token, then mails its link (a retry makes another; an unused one expires). */
export function accountMailHandler(deps: { db: DB; mailer: Mailer; publicUrl: string }): JobHandler {
  return async (payload, job) => {
    const purpose = payload.purpose === 'reset' ? 'reset' : 'verify';
    const userId = String(payload.userId);
    const email = String(payload.email);
    const [person] = await deps.db
      .select({ email: users.email, name: users.displayName, locale: users.locale, deleted: users.deletedAt })
      .from(users)
      .where(eq(users.id, userId));
    // The address changed or the account went since the link was asked for: nothing to send.
    if (!person || person.deleted !== null || person.email !== email) {
      return;
    }
    const token = randomBytes(32).toString('base64url');
    await deps.db.insert(accountTokens).values({ tokenHash: hashOf(token), userId, purpose, email, expiresAt: new Date(job.now.getTime() + LIFETIME_MS[purpose]), createdAt: job.now });
    const path = purpose === 'verify' ? 'verify-email' : 'reset-password';
    const link = `${deps.publicUrl}/${path}?token=${token}`;
    const locale = mailLocale(person.locale);
    const mail = purpose === 'verify' ? verifyMail(locale, person.name, link) : resetMail(locale, person.name, link);
    await deps.mailer.send({ to: email, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' } });
  };
}

const BAD_LINK = {
  verify: 'This link does not work any more: it was used already, is older than 24 hours, or was cut short. Sign in and ask for a new one on your account page.',
  reset: 'This link does not work any more: it was used already, is older than an hour, or was cut short. Ask for a new one with "Forgot your password?".',
} as const;

/** The token's row if it is of this purpose, unused and unexpired; locked to the commit when `forUpdate`. */
async function validToken(db: Executor, token: string, purpose: TokenPurpose, now: Date, forUpdate = false) {
  const query = db
    .select({ userId: accountTokens.userId, email: accountTokens.email, tokenHash: accountTokens.tokenHash })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, hashOf(token)), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) {
    throw new HttpProblem(400, BAD_LINK[purpose], [{ path: '/token', message: 'is not a link that works now' }]);
  }
  return row;
}

/** Marks the address verified when the link was mailed to the address the account has now. */
export async function verifyEmail(db: DB, token: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await validToken(tx, token, 'verify', now, true);
    await tx.update(accountTokens).set({ usedAt: now }).where(eq(accountTokens.tokenHash, row.tokenHash));
    const [changed] = await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.toISOString()}::timestamptz)` })
      .where(and(eq(users.id, row.userId), eq(users.email, row.email), isNull(users.deletedAt)))
      .returning({ id: users.id });
    if (!changed) {
      throw new HttpProblem(400, 'This link was for an address your account no longer has. Ask for a new one on your account page.', [{ path: '/token', message: 'is for another address' }]);
    }
  });
}

/** Mails a new verification link to the signed-in person's address; 409 when it is verified already. */
export async function resendVerification(db: DB, userId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const [person] = await tx.select({ email: users.email, verified: users.emailVerifiedAt }).from(users).where(eq(users.id, userId));
    if (person!.verified !== null) {
      throw new HttpProblem(409, 'Your address is verified already.');
    }
    await mailLink(tx, now, 'verify', userId, person!.email);
  });
}

/** A reset link for the address's account, if it has one; the same answer either way. */
export async function requestPasswordReset(db: DB, email: string, now: Date): Promise<void> {
  const address = normalizeEmail(email);
  await db.transaction(async (tx) => {
    const [person] = await tx.select({ id: users.id }).from(users).where(and(eq(users.email, address), isNull(users.deletedAt)));
    if (person) {
      await mailLink(tx, now, 'reset', person.id, address);
    }
  });
}

/**
 * Sets a new password by a reset link: the password is judged first (a
 * refused one leaves the link usable), then in one transaction the link is
 * used, the password set, the address counted verified (the link reached
 * it), and every session of the account ended.
 */
export async function confirmPasswordReset(db: DB, token: string, password: string, now: Date): Promise<void> {
  const found = await validToken(db, token, 'reset', now);
  const [person] = await db.select({ email: users.email, displayName: users.displayName }).from(users).where(eq(users.id, found.userId));
  const errors = passwordProblems(password, person!).map((message) => ({ path: '/password', message }));
  if (errors.length > 0) {
    throw invalid(errors);
  }
  const passwordHash = await hashPassword(password);
  const ended = await db.transaction(async (tx) => {
    const row = await validToken(tx, token, 'reset', now, true);
    await tx.update(accountTokens).set({ usedAt: now }).where(eq(accountTokens.tokenHash, row.tokenHash));
    // Any other reset link still out there stops working too.
    await tx
      .update(accountTokens)
      .set({ usedAt: now })
      .where(and(eq(accountTokens.userId, row.userId), eq(accountTokens.purpose, 'reset'), isNull(accountTokens.usedAt)));
    await tx
      .update(users)
      .set({
        passwordHash,
        emailVerifiedAt: sql`CASE WHEN ${users.email} = ${row.email} THEN coalesce(${users.emailVerifiedAt}, ${now.toISOString()}::timestamptz) ELSE ${users.emailVerifiedAt} END`,
      })
      .where(eq(users.id, row.userId));
    return sessionsRepo.deleteAllOf(tx, row.userId);
  });
  await announceEnded(db, ended);
}
