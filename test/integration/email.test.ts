// Notifications by e-mail over real SMTP (a smtp-server the test starts):
// a verified address gets the proposal, a burst goes as one mail, an
// unverified address gets none, one-click unsubscribe turns a kind off, a
// server that is down costs retries and nothing else, and two instances
// send each notification once.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { buildTestApp, openTestDatabasePair, postBody, signup, TestClock, type TestContext, type TestUser } from '../helper';
import { TestSmtp, tokenIn } from '../smtp';

const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };
let smtp: TestSmtp;
let ctx: TestContext;
const DIGEST_MIN = 5;

beforeAll(async () => {
  smtp = await TestSmtp.start();
  ctx = await buildTestApp({ env: { SMTP_URL: smtp.url, MAIL_DIGEST_MINUTES: String(DIGEST_MIN), PUBLIC_URL: 'https://aidmap.example.org' } });
});
afterAll(async () => {
  await ctx?.app.close();
  await smtp?.down();
});

async function call(user: TestUser | null, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, payload: payload as never });
}

/** Runs the due jobs until none is left to run now. */
async function deliver(c: TestContext = ctx) {
  await c.app.queue.wake();
}

async function verified(name: string): Promise<TestUser & { email: string }> {
  const user = await signup(ctx.app, name);
  await deliver();
  const [mail] = smtp.to(user.email);
  expect(mail!.subject).toBe('Please confirm your e-mail address for Aidmap');
  expect((await call(null, 'POST', '/api/auth/verify-email', { token: tokenIn(mail!, 'verify-email') })).statusCode).toBe(204);
  return user;
}

async function pair(needer: TestUser, helper: TestUser, title: string) {
  ctx.clock.advance(1000);
  const need = (await call(needer, 'POST', '/api/posts', postBody({ kind: 'need', title, windows: [THU], capacity: 1 }))).json().post;
  const offer = (await call(helper, 'POST', '/api/posts', postBody({ title: `${title} offered`, windows: [THU] }))).json().post;
  const match = await call(helper, 'POST', '/api/matches', { needId: need.id, offerId: offer.id });
  expect(match.statusCode, match.body).toBe(201);
  return match.json().match.id as string;
}

describe('notifications by e-mail', () => {
  it('a verified need author gets the proposal by mail, with its page and a one-click unsubscribe; the proposer gets none', async () => {
    const nell = await verified('Nell');
    const hugo = await verified('Hugo');
    const before = smtp.mails.length;
    const matchId = await pair(nell, hugo, 'Soup for two');
    await deliver();
    const mails = smtp.mails.slice(before);
    expect(mails.map((m) => m.to)).toEqual([[nell.email]]);
    const [mail] = mails;
    expect(mail!.subject).toBe('Hugo proposed a match for "Soup for two". Please answer it.');
    expect(mail!.text).toContain(`https://aidmap.example.org/matches/${matchId}`);
    expect(mail!.text).toContain('https://aidmap.example.org/inbox');
    expect(mail!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const stop = /<(https:\/\/aidmap\.example\.org\/api\/unsubscribe\?token=[^>]+)>/.exec(mail!.headers['list-unsubscribe']!)![1]!;

    // The provider's one-click POST: a form, from its own servers, no session, no Origin of ours.
    const oneClick = await ctx.app.inject({
      method: 'POST',
      url: stop.replace('https://aidmap.example.org', ''),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://mail.example.com' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode, oneClick.body).toBe(204);
    const prefs = (await call(nell, 'GET', '/api/me/notification-preferences')).json().kinds.find((k: { kind: string }) => k.kind === 'match.proposed');
    expect(prefs).toEqual({ kind: 'match.proposed', email: false, push: true });
    // A made-up or altered token changes nothing.
    const forged = await ctx.app.inject({ method: 'POST', url: `${stop.replace('https://aidmap.example.org', '')}x` });
    expect(forged.statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: stop.replace('https://aidmap.example.org', '') })).body).toContain('<form method="post"');
  });

  it('a burst within the digest period goes as one more mail, not one each; an unverified address gets nothing', async () => {
    const ana = await verified('Ana');
    const bo = await signup(ctx.app, 'Bo'); // never verified
    const matchId = await pair(ana, bo, 'Groceries');
    await deliver();
    expect(smtp.to(ana.email).filter((m) => m.subject.includes('Groceries'))).toHaveLength(1);
    for (const body of ['On my way', 'Ten minutes', 'At the door']) {
      ctx.clock.advance(10_000);
      expect((await call(bo, 'POST', `/api/matches/${matchId}/messages`, { body })).statusCode).toBe(201);
      await deliver();
    }
    // Within the period since the last mail: nothing more yet.
    expect(smtp.to(ana.email).filter((m) => m.text.includes('On my way'))).toHaveLength(0);
    ctx.clock.advance(DIGEST_MIN * 60_000);
    await deliver();
    const digest = smtp.to(ana.email).filter((m) => m.text.includes('On my way'));
    expect(digest).toHaveLength(1);
    expect(digest[0]!.subject).toBe('3 new things on Aidmap');
    expect(digest[0]!.text).toContain('Ten minutes');
    expect(digest[0]!.text).toContain('At the door');

    // Ana accepts: Bo (unverified) is told in the inbox only.
    ctx.clock.advance(1000);
    expect((await call(ana, 'POST', `/api/matches/${matchId}/accept`)).statusCode).toBe(200);
    await deliver();
    expect(smtp.to(bo.email).filter((m) => m.subject !== 'Please confirm your e-mail address for Aidmap')).toEqual([]);
    expect((await call(bo, 'GET', '/api/me/notifications')).json().items[0].kind).toBe('match.accepted');
  });

  it('the server down: the mail waits and is tried again after its backoff, then arrives once', async () => {
    const cy = await verified('Cy');
    const dee = await verified('Dee');
    await smtp.down();
    await pair(cy, dee, 'Ride to the clinic');
    await deliver();
    const [job] = rowsOf<{ attempts: number; last_error: string | null }>(
      await ctx.database.db.execute(sql`SELECT attempts, last_error FROM jobs WHERE key = ${`email:${cy.id}`}`),
    );
    expect(job!.attempts).toBe(1);
    expect(job!.last_error).toBeTruthy();
    await smtp.up();
    ctx.clock.advance(5000);
    await deliver();
    expect(smtp.to(cy.email).filter((m) => m.subject.includes('Ride to the clinic'))).toHaveLength(0);
    ctx.clock.advance(15_000);
    await deliver();
    await deliver();
    expect(smtp.to(cy.email).filter((m) => m.subject.includes('Ride to the clinic'))).toHaveLength(1);
    expect(rowsOf(await ctx.database.db.execute(sql`SELECT 1 FROM jobs WHERE key = ${`email:${cy.id}`}`))).toEqual([]);
  });
});

describe('two instances', () => {
  let a: TestContext;
  let b: TestContext;
  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
  });

  it('send each notification once', async () => {
    const clock = new TestClock();
    const [dbA, dbB] = await openTestDatabasePair();
    const env = { SMTP_URL: smtp.url, MAIL_DIGEST_MINUTES: '0' };
    a = await buildTestApp({ database: dbA, clock, env });
    b = await buildTestApp({ database: dbB, clock, env });
    const people = [];
    for (let i = 0; i < 6; i++) {
      people.push(await signup(a.app, `Twin ${i}`));
    }
    await a.database.db.execute(sql`UPDATE users SET email_verified_at = now()`);
    const before = smtp.mails.length;
    for (let i = 0; i < 3; i++) {
      const [needer, helper] = [people[2 * i]!, people[2 * i + 1]!];
      clock.advance(1000);
      const need = (await a.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: needer.cookie }, payload: postBody({ kind: 'need', title: `Twin need ${i}`, windows: [THU], capacity: 1 }) })).json().post;
      const offer = (await b.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: helper.cookie }, payload: postBody({ windows: [THU] }) })).json().post;
      expect((await b.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: helper.cookie }, payload: { needId: need.id, offerId: offer.id } })).statusCode).toBe(201);
    }
    // Both run their queues at once, twice.
    await Promise.all([a.app.queue.wake(), b.app.queue.wake(), a.app.queue.wake(), b.app.queue.wake()]);
    const sent = smtp.mails.slice(before).filter((m) => m.subject.includes('Twin need'));
    expect(sent.map((m) => m.subject).sort()).toEqual([0, 1, 2].map((i) => `Twin ${2 * i + 1} proposed a match for "Twin need ${i}". Please answer it.`));
  });
});
