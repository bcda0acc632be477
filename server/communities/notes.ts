// Answering a note written outside any match: an organizer's note to a
// need's author (assignments.ts writeToAuthor), and the answers
// to it, each of which may be answered in turn. A note says whom it answers
// to in its data (`replyTo`); only its recipient may answer, only to that
// writer, and not across a block or to an account since deleted.
import { and, eq } from 'drizzle-orm';
import { notifications, users, type DB } from '../../db';
import { isBlocked } from '../access';
import { conflict, invalid, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';

export async function replyToNote(db: DB, actor: { id: string }, notificationId: string, body: string, now: Date): Promise<{ to: string }> {
  const text = body.trim();
  if (text === '') {
    throw invalid([{ path: '/body', message: 'must not be blank' }]);
  }
  return db.transaction(async (tx) => {
    const [note] = await tx
      .select()
      .from(notifications)
      .where(and(eq(notifications.id, notificationId), eq(notifications.userId, actor.id)));
    const writer = typeof note?.data.replyTo === 'string' ? note.data.replyTo : null;
    if (!note || !writer) {
      throw notFound('There is no note to you with this id that can be answered.', 'note.not_found');
    }
    const [account] = await tx.select({ name: users.displayName, deletedAt: users.deletedAt }).from(users).where(eq(users.id, writer));
    if (!account || account.deletedAt) {
      throw conflict('The person who wrote this note has closed their account.', 'note.writer_gone');
    }
    if (await isBlocked(tx, actor.id, writer)) {
      throw conflict('One of you has blocked the other, so the note cannot be answered.', 'note.blocked');
    }
    const events = new Outbox(now);
    events.note({
      userId: writer,
      kind: 'message.created',
      postId: note.postId,
      communityId: note.communityId,
      actorId: actor.id,
      data: { title: note.data.title, text, replyTo: actor.id },
    });
    await events.flush(tx);
    return { to: account.name };
  });
}
