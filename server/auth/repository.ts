import { and, eq, gt, isNull } from 'drizzle-orm';
import { createHash, randomBytes } from 'node:crypto';
import { type Executor, sessions, users } from '../../db';
import type { User } from './schemas';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
}

/** Trimmed and lower-cased: one address, one account, however it is typed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A plausible address once normalized: something@domain.tld, no spaces. */
export function isEmail(email: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
}

export function toUser(row: SessionUser): User {
  return { id: row.id, email: row.email, displayName: row.displayName, createdAt: row.createdAt.toISOString() };
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A session's name that is safe to pass around (its stored hash, hex): never the token itself. */
export function sessionKey(token: string): string {
  return hashToken(token).toString('hex');
}

const userColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  createdAt: users.createdAt,
};

export const usersRepo = {
  /** Null when the address is taken (no error: it may run inside a transaction). */
  async create(
    db: Executor,
    input: { email: string; passwordHash: string; displayName: string },
  ): Promise<SessionUser | null> {
    const [row] = await db.insert(users).values(input).onConflictDoNothing({ target: users.email }).returning(userColumns);
    return row ?? null;
  },

  async findByEmail(db: Executor, email: string) {
    const [row] = await db
      .select({ ...userColumns, passwordHash: users.passwordHash, suspendedAt: users.suspendedAt })
      .from(users)
      .where(eq(users.email, email));
    return row;
  },
};

export const sessionsRepo = {
  /** A new random opaque token; only its hash is stored. */
  async create(db: Executor, userId: string, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await db.insert(sessions).values({ tokenHash: hashToken(token), userId, createdAt: now, expiresAt });
    return { token, expiresAt };
  },

  async userFor(db: Executor, token: string, now: Date): Promise<SessionUser | undefined> {
    const [row] = await db
      .select(userColumns)
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      // A suspended account's sessions are deleted when it is suspended; this also ends any made meanwhile.
      .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, now), isNull(users.suspendedAt)));
    return row;
  },

  async delete(db: Executor, token: string): Promise<void> {
    await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
  },
};
