import { and, desc, eq, gt, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import { createHash, randomBytes } from 'node:crypto';
import { type Executor, sessions, users } from '../../db';
import { type User } from '../contract/auth';

/** How long a session lasts: ended after `idleMs` without a request, and `maxMs` after sign-in whatever happens. */
export interface SessionLifetime {
  idleMs: number;
  maxMs: number;
}

/**
 * A session's last request is written at most this often (and only by a
 * request that finds it older): a request is then a read, not a write, and
 * idle expiry is exact to within five minutes.
 */
export const LAST_SEEN_EVERY_MS = 5 * 60_000;

/** Longest User-Agent kept: enough to name the browser and system, bounded whatever a client sends. */
const USER_AGENT_MAX = 512;

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

/** The same name from the stored hash (for sessions ended by account: their tokens are not at hand). */
export function sessionKeyOfHash(tokenHash: Buffer): string {
  return Buffer.from(tokenHash).toString('hex');
}

/**
 * The id a person sees for one of their sessions: 9 bytes (72 bits) of
 * SHA-256 of the stored hash, base64url. Stable, needs no column, and
 * names the session without revealing anything that signs it in: the
 * token hash is not derivable from it, and the token even less.
 */
export function sessionPublicId(tokenHash: Buffer): string {
  return createHash('sha256').update(tokenHash).digest().subarray(0, 9).toString('base64url');
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
    input: { email: string; passwordHash: string; displayName: string; locale?: string },
  ): Promise<SessionUser | null> {
    const [row] = await db.insert(users).values(input).onConflictDoNothing({ target: users.email }).returning(userColumns);
    return row ?? null;
  },

  async passwordHashOf(db: Executor, id: string): Promise<string | undefined> {
    const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, id));
    return row?.passwordHash;
  },

  async setPasswordHash(db: Executor, id: string, passwordHash: string): Promise<void> {
    await db.update(users).set({ passwordHash }).where(eq(users.id, id));
  },

  async exists(db: Executor, id: string): Promise<boolean> {
    const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
    return row !== undefined;
  },

  async findByEmail(db: Executor, email: string) {
    const [row] = await db
      .select({ ...userColumns, passwordHash: users.passwordHash, suspendedAt: users.suspendedAt })
      .from(users)
      .where(eq(users.email, email));
    return row;
  },
};

/** The live sessions' condition: used neither too long ago nor begun too long ago. */
function live(now: Date, lifetime: SessionLifetime) {
  return and(
    gt(sessions.expiresAt, now),
    // Also by sign-in time, so lowering SESSION_MAX_DAYS ends older sessions at once.
    gt(sessions.createdAt, new Date(now.getTime() - lifetime.maxMs)),
    gt(sessions.lastSeenAt, new Date(now.getTime() - lifetime.idleMs)),
  );
}

export interface SessionRow {
  tokenHash: Buffer;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
}

export const sessionsRepo = {
  /** A new random opaque token; only its hash is stored, with the browser that asked for it. */
  async create(
    db: Executor,
    userId: string,
    now: Date,
    lifetime: SessionLifetime,
    userAgent: string | undefined,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + lifetime.maxMs);
    await db.insert(sessions).values({
      tokenHash: hashToken(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX) : null,
    });
    return { token, expiresAt };
  },

  /** The session's user (and when it was last seen), if the session is live. */
  async userFor(
    db: Executor,
    token: string,
    now: Date,
    lifetime: SessionLifetime,
  ): Promise<{ user: SessionUser; lastSeenAt: Date } | undefined> {
    const [row] = await db
      .select({ ...userColumns, lastSeenAt: sessions.lastSeenAt })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      // A suspended account's sessions are deleted when it is suspended; this also ends any made meanwhile.
      .where(and(eq(sessions.tokenHash, hashToken(token)), live(now, lifetime), isNull(users.suspendedAt)));
    if (!row) {
      return undefined;
    }
    const { lastSeenAt, ...user } = row;
    return { user, lastSeenAt };
  },

  /** Records a request on the session, unless another request (on any instance) did within LAST_SEEN_EVERY_MS. */
  async touch(db: Executor, token: string, now: Date): Promise<void> {
    await db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.tokenHash, hashToken(token)), lte(sessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_EVERY_MS))));
  },

  /** The account's live sessions, most recently used first. */
  async listFor(db: Executor, userId: string, now: Date, lifetime: SessionLifetime): Promise<SessionRow[]> {
    return db
      .select({ tokenHash: sessions.tokenHash, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, userAgent: sessions.userAgent })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), live(now, lifetime)))
      .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt));
  },

  async delete(db: Executor, token: string): Promise<void> {
    await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
  },

  /** Ends one of the account's sessions by its stored hash; false when the account has no such session. */
  async deleteOwn(db: Executor, userId: string, tokenHash: Buffer): Promise<boolean> {
    const gone = await db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.tokenHash, Buffer.from(tokenHash))))
      .returning({ tokenHash: sessions.tokenHash });
    return gone.length > 0;
  },

  /** Ends every session of the account but the one with `keep` (this request's token); returns the ended hashes. */
  /** Ends every session of the account (a suspension); answers their token hashes. */
  async deleteAllOf(db: Executor, userId: string): Promise<Buffer[]> {
    const gone = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ tokenHash: sessions.tokenHash });
    return gone.map((s) => s.tokenHash);
  },

  async deleteOthers(db: Executor, userId: string, keep: string): Promise<Buffer[]> {
    const gone = await db
      .delete(sessions)
      .where(and(eq(sessions.userId, userId), ne(sessions.tokenHash, hashToken(keep))))
      .returning({ tokenHash: sessions.tokenHash });
    return gone.map((g) => g.tokenHash);
  },

  /** Drops sessions that have ended (idle or past their end); any instance may run it. Returns their hashes. */
  async prune(db: Executor, now: Date, lifetime: SessionLifetime): Promise<Buffer[]> {
    const gone = await db
      .delete(sessions)
      .where(
        or(
          lt(sessions.expiresAt, now),
          lt(sessions.createdAt, new Date(now.getTime() - lifetime.maxMs)),
          lt(sessions.lastSeenAt, new Date(now.getTime() - lifetime.idleMs)),
        ),
      )
      .returning({ tokenHash: sessions.tokenHash });
    return gone.map((g) => g.tokenHash);
  },
};

/** Carries the key of a session that signed out (sessionKey): every instance closes that session's sockets. */
export const SIGNED_OUT_CHANNEL = 'aidmap_signed_out';

/** Tells every instance that a session ended, so no socket keeps showing its user's private events. */
export async function announceSignOut(db: Executor, key: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${SIGNED_OUT_CHANNEL}, ${key})`);
}

/** Closes the ended sessions' sockets on every instance (code 4001), as signing out does. */
export async function announceEnded(db: Executor, tokenHashes: Buffer[]): Promise<void> {
  for (const tokenHash of tokenHashes) {
    await announceSignOut(db, sessionKeyOfHash(tokenHash));
  }
}
