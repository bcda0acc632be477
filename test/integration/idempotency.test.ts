// Idempotency-Key on the POSTs that make something: a client that retries
// after a timeout gets what its first attempt made, never a duplicate; two
// identical requests racing make one thing.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { useTestApp, postBody, signup, type TestUser } from '../helper';

const ctx = useTestApp();


const post = (user: TestUser, key: string | undefined, body: Record<string, unknown>) =>
  ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: user.cookie, ...(key ? { 'idempotency-key': key } : {}) }, payload: body });

async function count(table: 'posts' | 'matches' | 'messages', where = sql`TRUE`): Promise<number> {
  return Number(rowsOf<{ n: number }>(await ctx.database.db.execute(sql`SELECT count(*)::int AS n FROM ${sql.raw(table)} WHERE ${where}`))[0]!.n);
}

describe('Idempotency-Key', () => {
  it('a retried post answers with the post made, once; another body with the same key is 422; keys are per person', async () => {
    const me = await signup(ctx.app, 'Retrier');
    const key = randomUUID();
    const body = postBody({ title: 'Soup on Sunday' });
    const first = await post(me, key, body);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(me, key, body);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().post.id).toBe(first.json().post.id);
    expect(await count('posts', sql`author_id = ${me.id}`)).toBe(1);

    const other = await post(me, key, postBody({ title: 'Something else' }));
    expect(other.statusCode).toBe(422);
    expect(other.json().detail).toMatch(/already used for a different request/);
    // Someone else's identical key is theirs.
    const you = await signup(ctx.app, 'Someone else');
    expect((await post(you, key, body)).headers['idempotent-replayed']).toBeUndefined();
    // Without a key, two posts are two posts.
    await post(me, undefined, body);
    await post(me, undefined, body);
    expect(await count('posts', sql`author_id = ${me.id}`)).toBe(3);
    // A malformed key is the client's mistake, said so.
    const bad = await post(me, 'not a key\u0001', body);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toMatch(/Idempotency-Key/i);
    expect(bad.json().detail).toMatch(/^The request header is not valid — \/Idempotency-Key: /);
  });

  it('two identical requests at once make one post; a refused request records no key', async () => {
    const me = await signup(ctx.app, 'Double tapper');
    const key = randomUUID();
    const body = postBody({ title: 'Racing' });
    const answers = await Promise.all([post(me, key, body), post(me, key, body), post(me, key, body)]);
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().post.id)).size).toBe(1);
    expect(await count('posts', sql`author_id = ${me.id}`)).toBe(1);
    // A 400 leaves the key free: the corrected request with the same key goes through.
    const fresh = randomUUID();
    expect((await post(me, fresh, postBody({ radiusM: 1 }))).statusCode).toBe(400);
    expect((await post(me, fresh, postBody({ title: 'Corrected' }))).statusCode).toBe(201);
  });

  it('proposals and messages: a retry gets the match or message already made', async () => {
    const asker = await signup(ctx.app, 'Asker');
    const helper = await signup(ctx.app, 'Helper');
    const offer = (await post(helper, undefined, postBody())).json().post;
    const need = (await post(asker, undefined, postBody({ kind: 'need', capacity: 1, details: {} }))).json().post;
    const key = randomUUID();
    const propose = () =>
      ctx.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: asker.cookie, 'idempotency-key': key }, payload: { needId: need.id, offerId: offer.id } });
    const a = await propose();
    expect(a.statusCode, a.body).toBe(201);
    const b = await propose();
    expect(b.statusCode, b.body).toBe(201); // not 409 "already has a proposed match"
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json().match.id).toBe(a.json().match.id);
    const matchId = a.json().match.id;

    const say = (k: string) =>
      ctx.app.inject({ method: 'POST', url: `/api/matches/${matchId}/messages`, headers: { cookie: asker.cookie, 'idempotency-key': k }, payload: { body: 'On my way' } });
    const m1 = await say('msg-1');
    const m2 = await say('msg-1');
    expect(m2.statusCode).toBe(201);
    expect(m2.json().message).toEqual(m1.json().message);
    expect(await count('messages', sql`match_id = ${matchId}`)).toBe(1);
    expect((await say('msg-2')).json().message.id).not.toBe(m1.json().message.id);
    // The same key on another route is another request.
    expect((await post(asker, key, postBody())).statusCode).toBe(422);
  });
});
