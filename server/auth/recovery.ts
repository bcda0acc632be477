// Proving an address and recovering an account, by single-use links mailed
// to it. A link is a random token of which only the SHA-256 is stored; it is
// made by the job that mails it (never held in plain anywhere else), valid
// 24 hours to verify an address or move the account to a new one, 1 hour to
// reset a password, and used once. Asking for a reset answers the same
// whether or not the address has an account. A new address takes effect
// only from its own link (the account keeps the old one until then), and
// the old address is told, so a stolen session cannot quietly take the
// account's recovery away.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { accountTokens, type DB, type Executor, users } from '../../db';
import { HttpProblem, invalid } from '../http/problem';
import { changeMail, changeNoticeMail, mailLocale, resetMail, verifyMail } from '../mail/texts';
import type { Mailer } from '../mail/transport';
import { enqueue, type JobHandler } from '../queue/queue';
import { hashPassword, verifyPassword } from './passwords';
import { passwordProblems } from './policy';
import { announceEnded, isEmail, normalizeEmail, sessionsRepo } from './repository';

/** What a link does: verify the address, reset the password, or move the account to the address it was mailed to. */
export type TokenPurpose = 'verify' | 'reset' | 'change';
/** The job that mails a link (payload: purpose, userId, email), or tells the old address of a change (purpose `change-notice`). */
export const ACCOUNT_MAIL_JOB = 'account-mail';

const LIFETIME_MS: Record<TokenPurpose, number> = { verify: 24 * 3_600_000, reset: 3_600_000, change: 24 * 3_600_000 };

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/** Asks for a link to be mailed, in the caller's transaction (it goes when the transaction commits). */
export async function mailLink(tx: Executor, now: Date, purpose: TokenPurpose, userId: string, email: string): Promise<void> {
  await enqueue(tx, now, [{ kind: ACCOUNT_MAIL_JOB, payload: { purpose, userId, email } }]);
}

/** Tells the account's address that a move to `newEmail` was asked for (no link: nothing to click in a mail that may not be theirs). */
export async function mailChangeNotice(tx: Executor, now: Date, userId: string, oldEmail: string, newEmail: string): Promise<void> {
  await enqueue(tx, now, [{ kind: ACCOUNT_MAIL_JOB, payload: { purpose: 'change-notice', userId, email: oldEmail, newEmail } }]);
}

const PAGES: Record<TokenPurpose, string> = { verify: 'verify-email', reset: 'reset-password', change: 'change-email' };

/** The job: makes the token, then mails its link (a retry makes another; an unused one expires). */
export function accountMailHandler(deps: { db: DB; mailer: Mailer; publicUrl: string }): JobHandler {
  return async (payload, job) => {
    const userId = String(payload.userId);
    const email = String(payload.email);
    const [person] = await deps.db
      .select({ email: users.email, name: users.displayName, locale: users.locale, deleted: users.deletedAt })
      .from(users)
      .where(eq(users.id, userId));
    if (!person || person.deleted !== null) {
      return;
    }
    const locale = mailLocale(person.locale);
    const headers = { 'Auto-Submitted': 'auto-generated' };
    if (payload.purpose === 'change-notice') {
      const mail = changeNoticeMail(locale, person.name, String(payload.newEmail), `${deps.publicUrl}/account`);
      await deps.mailer.send({ to: email, subject: mail.subject, text: mail.text, headers });
      return;
    }
    const purpose: TokenPurpose = payload.purpose === 'reset' ? 'reset' : payload.purpose === 'change' ? 'change' : 'verify';
    // The account's address changed since the link was asked for (or, for a move, it is there already): nothing to send.
    if (purpose === 'change' ? person.email === email : person.email !== email) {
      return;
    }
    const token = randomBytes(32).toString('base64url');
    await deps.db.insert(accountTokens).values({ tokenHash: hashOf(token), userId, purpose, email, expiresAt: new Date(job.now.getTime() + LIFETIME_MS[purpose]), createdAt: job.now });
    const link = `${deps.publicUrl}/${PAGES[purpose]}?token=${token}`;
    const mail = purpose === 'verify' ? verifyMail(locale, person.name, link) : purpose === 'reset' ? resetMail(locale, person.name, link) : changeMail(locale, person.name, link);
    await deps.mailer.send({ to: email, subject: mail.subject, text: mail.text, headers });
  };
}

const BAD_LINK: Record<TokenPurpose, string> = {
  verify: 'This link does not work any more: it was used already, is older than 24 hours, or was cut short. Sign in and ask for a new one on your account page.',
  reset: 'This link does not work any more: it was used already, is older than an hour, or was cut short. Ask for a new one with "Forgot your password?".',
  change: 'This link does not work any more: it was used already, is older than 24 hours, or was cut short. Your address is unchanged; ask again on your account page.',
};

/** The token's row if it is of this purpose, unused and unexpired; locked to the commit when `forUpdate`. */
async function validToken(db: Executor, token: string, purpose: TokenPurpose, now: Date, forUpdate = false) {
  const query = db
    .select({ userId: accountTokens.userId, email: accountTokens.email, tokenHash: accountTokens.tokenHash })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, hashOf(token)), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, now)));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) {
    throw new HttpProblem(400, BAD_LINK[purpose], [{ path: '/token', message: 'is not a link that works now', code: 'link.spent' }], `link.spent.${purpose}`);
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
      throw new HttpProblem(400, 'This link was for an address your account no longer has. Ask for a new one on your account page.', [{ path: '/token', message: 'is for another address', code: 'link.other_address' }], 'link.other_address');
    }
  });
}

/** Mails a new verification link to the signed-in person's address; 409 when it is verified already. */
export async function resendVerification(db: DB, userId: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const [person] = await tx.select({ email: users.email, verified: users.emailVerifiedAt }).from(users).where(eq(users.id, userId));
    if (person!.verified !== null) {
      throw new HttpProblem(409, 'Your address is verified already.', undefined, 'email.verified_already');
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
  const errors = passwordProblems(password, person!).map((message) => ({ path: '/password', message, code: 'password.weak' }));
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

/**
 * Asks to move the signed-in account to `email`, after its password is
 * given again: mails a link to the new address (the move happens when it
 * is opened) and tells the current one. Answers the address the link went to.
 */
export async function requestEmailChange(db: DB, userId: string, body: { email: string; password: string }, now: Date): Promise<{ pendingEmail: string }> {
  const email = normalizeEmail(body.email);
  if (!isEmail(email)) {
    throw invalid([{ path: '/email', message: 'must be an e-mail address, like name@example.org', code: 'format.email' }]);
  }
  const [person] = await db.select({ email: users.email, hash: users.passwordHash }).from(users).where(eq(users.id, userId));
  if (!(await verifyPassword(person?.hash, body.password))) {
    throw new HttpProblem(403, 'The password is not right. Your address is unchanged.', [{ path: '/password', message: 'is not right', code: 'password.wrong' }], 'password.wrong');
  }
  if (person!.email === email) {
    throw new HttpProblem(409, 'That is the address your account has already.', [{ path: '/email', message: 'is your address already', code: 'email.same' }], 'email.same');
  }
  await db.transaction(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (taken) {
      // Sign-up tells the same: an address is one account's.
      throw new HttpProblem(409, 'Another account uses that address. Choose another, or sign in to that account.', [{ path: '/email', message: 'is already registered', code: 'email.taken' }], 'email.taken');
    }
    await mailLink(tx, now, 'change', userId, email);
    await mailChangeNotice(tx, now, userId, person!.email, email);
  });
  return { pendingEmail: email };
}

/**
 * Moves the account to the address its link was mailed to: that address is
 * then the account's, verified (the link reached it); every other move link
 * stops working. Sessions stay: the password did not change.
 */
export async function confirmEmailChange(db: DB, token: string, now: Date): Promise<{ email: string }> {
  return db.transaction(async (tx) => {
    const row = await validToken(tx, token, 'change', now, true);
    await tx
      .update(accountTokens)
      .set({ usedAt: now })
      .where(and(eq(accountTokens.userId, row.userId), eq(accountTokens.purpose, 'change'), isNull(accountTokens.usedAt)));
    const [taken] = await tx.select({ id: users.id }).from(users).where(and(eq(users.email, row.email), ne(users.id, row.userId)));
    if (taken) {
      throw new HttpProblem(409, 'Another account took that address since the link was sent. Your address is unchanged.', [{ path: '/token', message: 'is for an address now taken', code: 'email.taken' }], 'email.taken');
    }
    const [moved] = await tx
      .update(users)
      .set({ email: row.email, emailVerifiedAt: now })
      .where(and(eq(users.id, row.userId), isNull(users.deletedAt)))
      .returning({ email: users.email });
    if (!moved) {
      throw new HttpProblem(400, BAD_LINK.change, [{ path: '/token', message: 'is not a link that works now', code: 'link.spent' }], 'link.spent.change');
    }
    return moved;
  });
}
