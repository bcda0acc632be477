// Accounts' standing on the platform: suspended accounts leave listings and
// candidate lists; moderators see and act on what others cannot.
import { and, eq, isNotNull, type SQL, sql } from 'drizzle-orm';
import { type Executor, users } from '../../db';
import { forbidden } from '../http/problem';

/**
 * SQL: true unless the user in column/expression `userId` is suspended
 * platform-wide (users.suspended_at). Their open posts leave listings and
 * candidate lists while it lasts, and come back when it is lifted.
 */
export function accountActive(userId: SQL): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM users su WHERE su.id = ${userId} AND su.suspended_at IS NOT NULL)`;
}

/** Whether the user is a platform moderator (and not suspended). */
export async function isModerator(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db.select({ one: sql`1` }).from(users).where(and(eq(users.id, userId), isNotNull(users.moderatorSince), sql`${users.suspendedAt} IS NULL`));
  return row !== undefined;
}

/** Whether an account is suspended platform-wide (its posts are out of sight but to moderators). */
export async function isSuspended(db: Executor, userId: string): Promise<boolean> {
  const [row] = await db.select({ one: sql`1` }).from(users).where(and(eq(users.id, userId), isNotNull(users.suspendedAt)));
  return row !== undefined;
}

/** 403 unless the user is a platform moderator (read again on every request: a revoke takes effect at once). */
export async function requireModerator(db: Executor, user: { id: string }): Promise<void> {
  if (!(await isModerator(db, user.id))) {
    throw forbidden('Only platform moderators can do this.', 'moderators_only');
  }
}

