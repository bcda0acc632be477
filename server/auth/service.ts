// Accounts and sessions: signing up, in and out, changing the password and
// ending sessions. The rules live here (what is checked, in which order, what
// happens in one transaction, who is told); routes handle cookies and the
// reply's shape, the repository the queries.
import type { DB, Executor } from '../../db';
import type { Session } from '../contract/auth';
import { conflict, forbidden, HttpProblem, invalid, notFound, unauthorized } from '../http/problem';
import { hashPassword, verifyPassword } from './passwords';
import { passwordProblems } from './policy';
import { mailLink } from './recovery';
import {
  announceEnded,
  announceSignOut,
  isEmail,
  normalizeEmail,
  type SessionLifetime,
  type SessionUser,
  sessionKey,
  sessionKeyOfHash,
  sessionPublicId,
  sessionsRepo,
  usersRepo,
} from './repository';
import { describeUserAgent } from './user-agent';

/** Where a session starts: when, for how long, from which browser. */
export interface SessionStart {
  now: Date;
  lifetime: SessionLifetime;
  userAgent: string | undefined;
}

export interface SignedIn {
  user: SessionUser;
  session: { token: string; expiresAt: Date };
}

/** A new account and its first session, together or neither; 400 with every problem, 409 when the address is taken. */
export async function signUp(db: DB, body: { email: string; password: string; locale?: string; displayName: string }, start: SessionStart): Promise<SignedIn> {
  const displayName = body.displayName.trim();
  const email = normalizeEmail(body.email);
  const errors = [
    ...(isEmail(email) ? [] : [{ path: '/email', message: 'must be an e-mail address, like name@example.org', code: 'format.email' }]),
    ...(displayName === '' ? [{ path: '/displayName', message: 'must not be blank', code: 'blank' }] : []),
    // Judged before hashing: a refused password costs no argon2 time.
    ...passwordProblems(body.password, { email, displayName }).map((message) => ({ path: '/password', message, code: 'password.weak' })),
  ];
  if (errors.length > 0) {
    throw invalid(errors);
  }
  const passwordHash = await hashPassword(body.password);
  const created = await db.transaction(async (tx) => {
    const user = await usersRepo.create(tx, { email, passwordHash, displayName, ...(body.locale ? { locale: body.locale } : {}) });
    if (!user) {
      return null;
    }
    // The link that verifies the address goes with the account (nothing else is mailed until it is opened).
    await mailLink(tx, start.now, 'verify', user.id, email);
    return { user, session: await sessionsRepo.create(tx, user.id, start.now, start.lifetime, start.userAgent) };
  });
  if (!created) {
    throw conflict('An account with this e-mail address already exists. Sign in instead.', [{ path: '/email', message: 'is already registered', code: 'email.taken' }], 'email.taken');
  }
  return created;
}

/** A new session for whoever knows the password; one answer, and the same work, whether or not the address exists. */
export async function logIn(db: Executor, body: { email: string; password: string }, start: SessionStart): Promise<SignedIn> {
  const found = await usersRepo.findByEmail(db, normalizeEmail(body.email));
  const ok = await verifyPassword(found?.passwordHash, body.password);
  if (!found || !ok) {
    throw unauthorized('The e-mail address or the password is not right.', 'auth.wrong_credentials');
  }
  // Told only to whoever knows the password: a suspension is no one else's business.
  if (found.suspendedAt) {
    throw forbidden('This account is suspended by the platform moderators; it cannot sign in.', 'account.suspended');
  }
  const { passwordHash: _hash, suspendedAt: _suspended, ...user } = found;
  return { user, session: await sessionsRepo.create(db, found.id, start.now, start.lifetime, start.userAgent) };
}

/** Ends this session and closes its sockets everywhere. */
export async function logOut(db: Executor, token: string): Promise<void> {
  await sessionsRepo.delete(db, token);
  await announceSignOut(db, sessionKey(token));
}

/**
 * Changes the password after checking the current one (403, not 401: the
 * session itself is fine); every other session ends in the same commit, this
 * one stays. Answers how many ended.
 */
export async function changePassword(db: DB, user: SessionUser, token: string, body: { currentPassword: string; newPassword: string }): Promise<number> {
  // The current password first: whoever holds only the cookie learns nothing else.
  const ok = await verifyPassword(await usersRepo.passwordHashOf(db, user.id), body.currentPassword);
  if (!ok) {
    throw new HttpProblem(403, 'The current password is not right.', [{ path: '/currentPassword', message: 'is not right', code: 'password.wrong' }], 'password.wrong');
  }
  const errors = passwordProblems(body.newPassword, user).map((message) => ({ path: '/newPassword', message, code: 'password.weak' }));
  if (errors.length > 0) {
    throw invalid(errors);
  }
  const passwordHash = await hashPassword(body.newPassword);
  // Whoever else was signed in (perhaps the reason for the change) is out in the same commit.
  const ended = await db.transaction(async (tx) => {
    await usersRepo.setPasswordHash(tx, user.id, passwordHash);
    return sessionsRepo.deleteOthers(tx, user.id, token);
  });
  await announceEnded(db, ended);
  return ended.length;
}

/** The account's live sessions, this one first, then by last use. */
export async function listSessions(db: Executor, user: SessionUser, token: string, now: Date, lifetime: SessionLifetime): Promise<Session[]> {
  const current = sessionKey(token);
  const rows = await sessionsRepo.listFor(db, user.id, now, lifetime);
  const items = rows.map((row) => ({
    id: sessionPublicId(row.tokenHash),
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    userAgent: describeUserAgent(row.userAgent),
    current: sessionKeyOfHash(row.tokenHash) === current,
  }));
  return [...items.filter((s) => s.current), ...items.filter((s) => !s.current)];
}

/** Ends one of the account's sessions by its public id (404 otherwise); answers whether it was this one. */
export async function endSession(db: Executor, user: SessionUser, token: string, id: string, now: Date, lifetime: SessionLifetime): Promise<{ wasCurrent: boolean }> {
  const rows = await sessionsRepo.listFor(db, user.id, now, lifetime);
  const target = rows.find((row) => sessionPublicId(row.tokenHash) === id);
  // Another account's session is as unknown as one that never was.
  if (!target || !(await sessionsRepo.deleteOwn(db, user.id, target.tokenHash))) {
    throw notFound('You have no session with this id; it may have ended already.', 'session.not_found');
  }
  await announceEnded(db, [target.tokenHash]);
  return { wasCurrent: sessionKeyOfHash(target.tokenHash) === sessionKey(token) };
}

/** Ends every session of the account but this one; answers how many. */
export async function endOtherSessions(db: Executor, user: SessionUser, token: string): Promise<number> {
  const ended = await sessionsRepo.deleteOthers(db, user.id, token);
  await announceEnded(db, ended);
  return ended.length;
}
