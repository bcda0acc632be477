// What a post's save sets going that its author need not wait for: the
// match suggestions (the matches feature's, handed in from app.ts: posts
// sit below matches), and for a new need the alerts it meets. A job, written
// in the statement or transaction that saves the post, so it happens with
// the save or not at all, and runs after the reply on whichever process
// claims it (DESIGN.md: follow-ups are jobs). Both steps may run again (a
// retry, a process that died): suggestions are recomputed from the post as
// it is then, and an alert tells a person of a need once.
import type { DB } from '../../db';
import { Outbox } from '../live/outbox';
import type { JobHandler, NewJob } from '../queue/queue';
import { postsRepo, type PostRow } from './repository';
import { statusAt } from './view';

export const POST_SAVED_JOB = 'post.saved';

/** The job of a post just created (`created`: its alerts too) or edited. */
export function postSavedJob(postId: string, created: boolean): NewJob {
  return { kind: POST_SAVED_JOB, payload: { postId, created } };
}

/** Runs a post's follow-ups; `suggest` is the matches feature's (null: none). */
export function postSavedHandler(db: DB, suggest: ((row: PostRow, now: Date) => Promise<void>) | null): JobHandler {
  return async (payload, job) => {
    const row = await postsRepo.find(db, String(payload.postId));
    if (!row) {
      return; // deleted since
    }
    // A need closed before its alerts went out is nobody's news.
    if (payload.created === true && row.kind === 'need' && statusAt(row, job.now) === 'open') {
      await db.transaction(async (tx) => {
        const events = new Outbox(job.now);
        // At its public point, as the map shows it: an alert learns no more than that.
        events.needAlerts({ id: row.id, authorId: row.authorId, category: row.category, title: row.title, lat: row.publicLocation.lat, lng: row.publicLocation.lng });
        await events.flush(tx);
      });
    }
    // As the post is now: one no longer open loses its suggestions.
    await suggest?.(row, job.now);
  };
}
