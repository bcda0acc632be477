// Rate limits at their documented values (RATE_LIMIT_SCALE=1), counted in
// PostgreSQL so two instances on one database share them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, openTestDatabasePair, postBody, signup, type TestContext } from '../helper';
import { LIMITS } from '../../server/limits/plugin';

let one: TestContext;
let two: TestContext;

beforeAll(async () => {
  const [a, b] = await openTestDatabasePair();
  one = await buildTestApp({ database: a, env: { RATE_LIMIT_SCALE: '1' } });
  // The second instance reads the same clock, as two processes read one wall clock.
  two = await buildTestApp({ database: b, clock: one.clock, env: { RATE_LIMIT_SCALE: '1' } });
});
afterAll(async () => {
  await two?.app.close();
  await one?.app.close();
});

describe('rate limits', () => {
  it('posting: 30 an hour per account, counted across instances; 429 with Retry-After, then allowed again an hour on', async () => {
    const poster = await signup(one.app, 'Poster');
    const post = (ctx: TestContext, i: number) =>
      ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: poster.cookie }, payload: postBody({ title: `Dinner ${i}` }) });
    const statuses: number[] = [];
    for (let i = 0; i < LIMITS.postPerAccount.max; i++) {
      statuses.push((await post(i % 2 === 0 ? one : two, i)).statusCode);
    }
    expect(statuses.every((s) => s === 201)).toBe(true);
    const refused = await post(two, 99);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retry = Number(refused.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    expect(refused.json()).toMatchObject({ status: 429, code: 'rate_limited', detail: expect.stringMatching(/You have posted a lot in the last hour\. Try again in \d+ (seconds|minutes)\./) });
    expect((await post(one, 100)).statusCode).toBe(429);
    // Nothing was written by the refused requests.
    const mine = await one.app.inject({ method: 'GET', url: '/api/me/posts', headers: { cookie: poster.cookie } });
    expect(mine.json().items).toHaveLength(LIMITS.postPerAccount.max);
    // Another account on the same connection is not held back by the first one's limit.
    const neighbour = await signup(one.app, 'Neighbour');
    expect((await one.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: neighbour.cookie }, payload: postBody() })).statusCode).toBe(201);
    one.clock.advance(retry * 1000);
    expect((await post(one, 101)).statusCode).toBe(201);
  });

  it('proposals and messages are limited per account; a signed-out request is answered 401, not counted', async () => {
    const asker = await signup(one.app, 'Asker');
    const helper = await signup(one.app, 'Helper');
    const offer = (await one.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: helper.cookie }, payload: postBody() })).json().post;
    const need = (
      await one.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: asker.cookie }, payload: postBody({ kind: 'need', capacity: 1, details: {} }) })
    ).json().post;
    const match = await one.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: asker.cookie }, payload: { needId: need.id, offerId: offer.id } });
    expect(match.statusCode, match.body).toBe(201);
    const id = match.json().match.id;
    for (let i = 0; i < 3; i++) {
      expect((await one.app.inject({ method: 'POST', url: `/api/matches/${id}/messages`, payload: { body: 'hi' } })).statusCode).toBe(401);
    }
    let sent = 0;
    for (;;) {
      const res = await two.app.inject({ method: 'POST', url: `/api/matches/${id}/messages`, headers: { cookie: asker.cookie }, payload: { body: `note ${sent}` } });
      if (res.statusCode !== 201) {
        expect(res.statusCode).toBe(429);
        expect(res.json().detail).toMatch(/You have sent a lot of messages/);
        break;
      }
      sent++;
    }
    expect(sent).toBe(LIMITS.messagePerAccount.max);
    // The other party may still answer.
    expect((await one.app.inject({ method: 'POST', url: `/api/matches/${id}/messages`, headers: { cookie: helper.cookie }, payload: { body: 'hello' } })).statusCode).toBe(201);
  });
});
