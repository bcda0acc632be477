// Moving an account to another e-mail address, over real SMTP: the password
// again, a link to the new address, a word to the old one, and the move
// only when the link is opened.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { buildTestApp, signup, type TestContext } from '../helper';
import { linkIn, TestSmtp } from '../smtp';

const PUBLIC = 'http://aidmap.test';
const PASSWORD = 'correct horse battery'; // the helper's sign-up password

let smtp: TestSmtp;
let ctx: TestContext;
let n = 0;

beforeAll(async () => {
  smtp = await TestSmtp.start();
  ctx = await buildTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: PUBLIC } });
});

afterAll(async () => {
  await ctx?.app.close();
  await smtp?.down();
});

const fresh = () => `moved${++n}-${process.pid}@example.net`;

async function ask(cookie: string, email: string, password = PASSWORD) {
  return ctx.app.inject({ method: 'POST', url: '/api/me/email', headers: { cookie }, payload: { email, password } });
}

async function confirm(token: string) {
  return ctx.app.inject({ method: 'POST', url: '/api/auth/email-change/confirm', payload: { token } });
}

async function me(cookie: string) {
  return (await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).json().user as { email: string };
}

/** Asks to move `person` to `email`; returns the token of the link mailed there. */
async function moveToken(person: { cookie: string }, email: string): Promise<string> {
  const before = smtp.to(email).length;
  const res = await ask(person.cookie, email);
  expect(res.statusCode, res.body).toBe(202);
  expect(res.json()).toEqual({ pendingEmail: email });
  await ctx.app.queue.wake();
  const mails = smtp.to(email).slice(before);
  expect(mails).toHaveLength(1);
  return new URL(linkIn(mails[0]!, `${PUBLIC}/change-email?token=`)).searchParams.get('token')!;
}

describe('changing the address', () => {
  it('mails a link to the new address, tells the old one, and moves only when the link is opened', async () => {
    const kim = await signup(ctx.app, 'Kim');
    const to = fresh();
    const oldBefore = smtp.to(kim.email).length;
    const token = await moveToken(kim, to);

    // The old address hears of it, with no link that acts, and is told what to do if it was not them.
    const notices = smtp.to(kim.email).slice(oldBefore).filter((m) => /change your Aidmap address/i.test(m.subject));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(to);
    expect(notices[0]!.text).toContain(`${PUBLIC}/account`);
    expect(notices[0]!.text).not.toContain('token=');

    // Until the link is opened, the account keeps its address and signs in with it.
    expect((await me(kim.cookie)).email).toBe(kim.email);

    const done = await confirm(token);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toEqual({ email: to });
    expect((await me(kim.cookie)).email).toBe(to);

    // Signing in: the new address works, the old one does not.
    const newLogin = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: to, password: PASSWORD } });
    expect(newLogin.statusCode).toBe(200);
    const oldLogin = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: kim.email, password: PASSWORD } });
    expect(oldLogin.statusCode).toBe(401);

    // The new address counts as verified: the link reached it.
    const [row] = rowsOf<{ verified: Date | null }>(await ctx.database.db.execute(sql`SELECT email_verified_at AS verified FROM users WHERE id = ${kim.id}`));
    expect(row!.verified).not.toBeNull();

    // A link works once.
    const again = await confirm(token);
    expect(again.statusCode).toBe(400);
    expect(again.json().detail).toMatch(/does not work any more/);
  });

  it('asks for the password again, and changes nothing on a wrong one', async () => {
    const lee = await signup(ctx.app, 'Lee');
    const res = await ask(lee.cookie, fresh(), 'not the password at all');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    await ctx.app.queue.wake();
    expect((await me(lee.cookie)).email).toBe(lee.email);
  });

  it('refuses an address that is not one, the one the account has, and one another account uses', async () => {
    const ana = await signup(ctx.app, 'Ana');
    const bo = await signup(ctx.app, 'Bo');
    const bad = await ask(ana.cookie, 'not an address');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ path: '/email', message: expect.stringMatching(/e-mail address/), code: 'format.email' }]);
    const same = await ask(ana.cookie, ` ${ana.email.toUpperCase()} `);
    expect(same.statusCode).toBe(409);
    expect(same.json().detail).toMatch(/already/);
    const taken = await ask(ana.cookie, bo.email);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().detail).toMatch(/Another account/);
  });

  it('does not move an account to an address another account took after the link went out', async () => {
    const cy = await signup(ctx.app, 'Cy');
    const to = fresh();
    const token = await moveToken(cy, to);
    const other = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: to, password: PASSWORD, displayName: 'Quick' } });
    expect(other.statusCode).toBe(201);
    const res = await confirm(token);
    expect(res.statusCode).toBe(409);
    expect((await me(cy.cookie)).email).toBe(cy.email);
  });

  it('keeps only the newest ask: opening any link moves, and the others stop working', async () => {
    const di = await signup(ctx.app, 'Di');
    const first = await moveToken(di, fresh());
    const second = fresh();
    const secondToken = await moveToken(di, second);
    expect((await confirm(secondToken)).statusCode).toBe(200);
    expect((await me(di.cookie)).email).toBe(second);
    expect((await confirm(first)).statusCode).toBe(400);
  });

  it('needs a session to ask, and a link that works to confirm', async () => {
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/api/me/email', payload: { email: fresh(), password: PASSWORD } });
    expect(anonymous.statusCode).toBe(401);
    const forged = await confirm('x'.repeat(43));
    expect(forged.statusCode).toBe(400);
    expect(forged.headers['content-type']).toMatch(/problem\+json/);
  });
});
