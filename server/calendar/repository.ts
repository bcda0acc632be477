// Calendar addresses as queries: a user's one token, stored as its hash.
// Making and checking tokens (randomness, hashing, format) is service.ts's business.
import { eq } from 'drizzle-orm';
import { calendarTokens, type Executor, users } from '../../db';

export const calendarTokensRepo = {
  /** Sets the user's token hash, replacing the one they had (and its creation time). */
  async replace(db: Executor, userId: string, tokenHash: Buffer): Promise<void> {
    await db
      .insert(calendarTokens)
      .values({ userId, tokenHash })
      .onConflictDoUpdate({ target: calendarTokens.userId, set: { tokenHash, createdAt: new Date() } });
  },

  /** When the user's token was made, if they have one. */
  async createdAt(db: Executor, userId: string): Promise<Date | undefined> {
    const [row] = await db.select({ createdAt: calendarTokens.createdAt }).from(calendarTokens).where(eq(calendarTokens.userId, userId));
    return row?.createdAt;
  },

  async delete(db: Executor, userId: string): Promise<void> {
    await db.delete(calendarTokens).where(eq(calendarTokens.userId, userId));
  },

  /** The user whose token has this hash. */
  async owner(db: Executor, tokenHash: Buffer): Promise<{ id: string; displayName: string } | undefined> {
    const [row] = await db
      .select({ id: users.id, displayName: users.displayName })
      .from(calendarTokens)
      .innerJoin(users, eq(users.id, calendarTokens.userId))
      .where(eq(calendarTokens.tokenHash, tokenHash));
    return row;
  },
};
