import { and, asc, eq, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Executor, LIVE_MATCH_STATUSES, matches, messages, posts, users } from '../../db';

export type MatchRow = typeof matches.$inferSelect;
export type MatchStatus = MatchRow['status'];

const needPost = alias(posts, 'need_post');
const offerPost = alias(posts, 'offer_post');

/** A user is a party to a match when they wrote its need or its offer. */
function partyOf(userId: string): SQL {
  return sql`(${needPost.authorId} = ${userId} OR ${offerPost.authorId} = ${userId})`;
}

export const matchesRepo = {
  async find(db: Executor, id: string, options: { forUpdate?: boolean } = {}): Promise<MatchRow | undefined> {
    const query = db.select().from(matches).where(eq(matches.id, id));
    const [row] = options.forUpdate ? await query.for('update') : await query;
    return row;
  },

  /** The pair's match that still holds it (suggested, proposed or accepted), locked. */
  async livePair(db: Executor, needId: string, offerId: string): Promise<MatchRow | undefined> {
    const [row] = await db
      .select()
      .from(matches)
      .where(and(eq(matches.needId, needId), eq(matches.offerId, offerId), inArray(matches.status, [...LIVE_MATCH_STATUSES])))
      .for('update');
    return row;
  },

  /** A post's matches that still hold it, locked when asked. */
  async liveOf(db: Executor, postId: string, options: { forUpdate?: boolean } = {}): Promise<MatchRow[]> {
    const query = db
      .select()
      .from(matches)
      .where(and(or(eq(matches.needId, postId), eq(matches.offerId, postId)), inArray(matches.status, [...LIVE_MATCH_STATUSES])));
    return options.forUpdate ? query.for('update') : query;
  },

  async insert(db: Executor, values: typeof matches.$inferInsert): Promise<MatchRow> {
    const [row] = await db.insert(matches).values(values).returning();
    return row!;
  },

  /** Server suggestions; a pair that already has a live match is left alone. */
  async suggest(db: Executor, rows: { needId: string; offerId: string; helperId: string; score: number }[], now: Date): Promise<MatchRow[]> {
    if (rows.length === 0) {
      return [];
    }
    return db
      .insert(matches)
      .values(rows.map((r) => ({ ...r, status: 'suggested' as const, createdAt: now, updatedAt: now })))
      .onConflictDoNothing()
      .returning();
  },

  /** Forgets these untouched suggestions (the post changed; they are recomputed); returns those it removed. */
  async dropSuggestions(db: Executor, ids: string[]): Promise<MatchRow[]> {
    if (ids.length === 0) {
      return [];
    }
    return db
      .delete(matches)
      .where(and(eq(matches.status, 'suggested'), inArray(matches.id, ids)))
      .returning();
  },

  /**
   * What suggesting for a post starts from, in one read: the server's
   * untouched suggestions involving it, and the other posts of its pairs once
   * proposed and then declined, cancelled or left unanswered (not suggested again).
   */
  async suggestionState(db: Executor, postId: string): Promise<{ suggestions: MatchRow[]; turnedDown: Set<string> }> {
    const rows = await db
      .select()
      .from(matches)
      .where(
        and(
          or(eq(matches.needId, postId), eq(matches.offerId, postId)),
          or(eq(matches.status, 'suggested'), and(inArray(matches.status, ['declined', 'cancelled']), isNotNull(matches.proposedBy))),
        ),
      );
    return {
      suggestions: rows.filter((m) => m.status === 'suggested'),
      turnedDown: new Set(rows.filter((m) => m.status !== 'suggested').map((m) => (m.needId === postId ? m.offerId : m.needId))),
    };
  },

  async update(db: Executor, id: string, values: Partial<typeof matches.$inferInsert>): Promise<void> {
    // A change of state that names nobody is the server's (the sweep withdrawing a proposal nobody answered).
    const set = values.status !== undefined && !('actedBy' in values) ? { ...values, actedBy: null } : values;
    await db.update(matches).set(set).where(eq(matches.id, id));
  },

  /** The user's matches, newest first, one more than `limit`. */
  async listFor(
    db: Executor,
    userId: string,
    f: { status?: MatchStatus | undefined; limit: number; after?: { createdAt: Date; id: string } | undefined },
  ): Promise<MatchRow[]> {
    const conditions: (SQL | undefined)[] = [partyOf(userId)];
    if (f.status) {
      conditions.push(eq(matches.status, f.status));
    }
    if (f.after) {
      conditions.push(
        or(lt(matches.createdAt, f.after.createdAt), and(eq(matches.createdAt, f.after.createdAt), lt(matches.id, f.after.id))),
      );
    }
    const rows = await db
      .select({ match: matches })
      .from(matches)
      .innerJoin(needPost, eq(needPost.id, matches.needId))
      .innerJoin(offerPost, eq(offerPost.id, matches.offerId))
      .where(and(...conditions))
      .orderBy(sql`${matches.createdAt} DESC`, sql`${matches.id} DESC`)
      .limit(f.limit + 1);
    return rows.map((r) => r.match);
  },

  async addMessage(db: Executor, values: { matchId: string; authorId: string; body: string; createdAt: Date }) {
    const [row] = await db.insert(messages).values(values).returning();
    return row!;
  },

  async message(db: Executor, id: string) {
    const [row] = await db
      .select({ id: messages.id, matchId: messages.matchId, body: messages.body, createdAt: messages.createdAt, authorId: users.id, authorName: users.displayName })
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(eq(messages.id, id));
    return row;
  },

  async messages(db: Executor, matchId: string) {
    return db
      .select({ id: messages.id, body: messages.body, createdAt: messages.createdAt, authorId: users.id, authorName: users.displayName })
      .from(messages)
      .innerJoin(users, eq(users.id, messages.authorId))
      .where(eq(messages.matchId, matchId))
      .orderBy(asc(messages.createdAt), asc(messages.id));
  },
};
