// Mail over real SMTP: the app's mailer talks to an smtp-server in this
// process, and what arrives is read as a person's mail program would show
// it. Jobs run when a test wakes the queue (no polling), on the test's clock.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { buildTestApp, openTestDatabasePair, postBody, signup, TestClock, type TestContext, type TestUser } from '../helper';
import { linkIn, type ReceivedMail, TestSmtp } from '../smtp';

const PUBLIC = 'http://aidmap.test';
const DIGEST_MS = 5 * 60_000;

type Person = TestUser & { email: string };

let smtp: TestSmtp;
let ctx: TestContext;

beforeAll(async () => {
  smtp = await TestSmtp.start();
  ctx = await buildTestApp({ env: { SMTP_URL: smtp.url, MAIL_DIGEST_MINUTES: '5', PUBLIC_URL: PUBLIC } });
});

afterAll(async () => {
  await ctx?.app.close();
  await smtp?.down();
});

/** Runs the due jobs of every instance given, side by side (as processes sharing a database would). */
async function deliver(...apps: TestContext[]): Promise<void> {
  await Promise.all((apps.length > 0 ? apps : [ctx]).map((c) => c.app.queue.wake()));
}

function tokenOf(link: string): string {
  return new URL(link).searchParams.get('token')!;
}

/** Signs up and opens the link of the verification mail. */
async function verified(name: string, c: TestContext = ctx, ...others: TestContext[]): Promise<Person> {
  const person = await signup(c.app, name);
  await deliver(c, ...others);
  const [mail] = smtp.to(person.email);
  const res = await c.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: tokenOf(linkIn(mail!, `${PUBLIC}/verify-email?token=`)) } });
  expect(res.statusCode, res.body).toBe(204);
  return person;
}

async function create(c: TestContext, user: TestUser, overrides: Record<string, unknown>): Promise<{ id: string }> {
  c.clock.advance(1000);
  const res = await c.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: user.cookie }, payload: postBody(overrides) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post;
}

/** `helper` offers and proposes it for a new need of `needer` titled `title`: the need's author is notified. */
async function propose(helper: TestUser, needer: TestUser, title: string, c: TestContext = ctx): Promise<{ matchId: string; needId: string }> {
  const need = await create(c, needer, { kind: 'need', title, capacity: 2, details: {} });
  const offer = await create(c, helper, { title: `Offer for ${title}` });
  c.clock.advance(1000);
  const res = await c.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: helper.cookie }, payload: { needId: need.id, offerId: offer.id } });
  expect(res.statusCode, res.body).toBe(201);
  return { matchId: res.json().match.id, needId: need.id };
}

async function write(user: TestUser, matchId: string, body: string, c: TestContext = ctx): Promise<void> {
  c.clock.advance(1000);
  const res = await c.app.inject({ method: 'POST', url: `/api/matches/${matchId}/messages`, headers: { cookie: user.cookie }, payload: { body } });
  expect(res.statusCode, res.body).toBe(201);
}

async function emailChoices(user: TestUser): Promise<{ emailVerified: boolean; email: Record<string, boolean> }> {
  const res = await ctx.app.inject({ method: 'GET', url: '/api/me/notification-preferences', headers: { cookie: user.cookie } });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { emailVerified: boolean; kinds: { kind: string; email: boolean }[] };
  return { emailVerified: body.emailVerified, email: Object.fromEntries(body.kinds.map((k) => [k.kind, k.email])) };
}

/** The mails to `person` after the first `skip`. */
const newMails = (person: Person, skip: number): ReceivedMail[] => smtp.to(person.email).slice(skip);

describe('verifying an address', () => {
  it('sign-up mails a link; opening it verifies the address, once', async () => {
    const vera = await signup(ctx.app, 'Vera');
    expect((await emailChoices(vera)).emailVerified).toBe(false);
    await deliver();
    const mails = smtp.to(vera.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/confirm/i);
    expect(mails[0]!.headers['from']).toContain('@');
    const link = linkIn(mails[0]!, `${PUBLIC}/verify-email?token=`);

    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: tokenOf(link) } });
    expect(res.statusCode, res.body).toBe(204);
    expect((await emailChoices(vera)).emailVerified).toBe(true);

    const again = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: tokenOf(link) } });
    expect(again.statusCode).toBe(400);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json().detail).toMatch(/new one/);
    // Verified already: nothing to resend.
    const resend = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email/resend', headers: { cookie: vera.cookie } });
    expect(resend.statusCode).toBe(409);
  });

  it('a made-up token is refused with a message a person can act on; a resend mails a new link that works', async () => {
    const wes = await signup(ctx.app, 'Wes');
    await deliver();
    const wrong = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: 'x'.repeat(43) } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().detail).toMatch(/ask for a new one/i);

    expect((await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email/resend' })).statusCode).toBe(401);
    const resend = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email/resend', headers: { cookie: wes.cookie } });
    expect(resend.statusCode, resend.body).toBe(202);
    await deliver();
    const mails = smtp.to(wes.email);
    expect(mails).toHaveLength(2);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: tokenOf(linkIn(mails[1]!, `${PUBLIC}/verify-email?token=`)) } });
    expect(res.statusCode, res.body).toBe(204);
    expect((await emailChoices(wes)).emailVerified).toBe(true);
  });
});

describe('the language of mails', () => {
  async function signupAs(name: string, headers: Record<string, string>, locale?: 'en' | 'es'): Promise<{ email: string; cookie: string }> {
    const email = `${name.toLowerCase()}-${process.pid}@example.org`;
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers,
      payload: { email, password: 'correct horse battery', displayName: name, ...(locale ? { locale } : {}) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return { email, cookie: String(res.headers['set-cookie']).split(';')[0]! };
  }

  it("the verification mail is in the browser's language, or the one the app names; English otherwise", async () => {
    const ana = await signupAs('Ana', { 'accept-language': 'es-MX,es;q=0.9,en;q=0.5' });
    const bea = await signupAs('Bea', { 'accept-language': 'en-US' }, 'es');
    const carl = await signupAs('Carl', { 'accept-language': 'de-DE,fr;q=0.8' });
    const dora = await signupAs('Dora', { 'accept-language': 'en;q=0.4,es;q=0.8' });
    await deliver();
    for (const person of [ana, bea, dora]) {
      const [mail] = smtp.to(person.email);
      expect(mail!.subject).toBe('Confirme su correo electrónico para Aidmap');
      expect(mail!.text).toContain('Confirme que esta dirección es suya');
      expect(mail!.text).toContain(`${PUBLIC}/verify-email?token=`);
    }
    expect(smtp.to(carl.email)[0]!.subject).toBe('Please confirm your e-mail address for Aidmap');
    // The language chosen later in the app is the one of the next mails.
    const change = await ctx.app.inject({ method: 'PATCH', url: '/api/me', headers: { cookie: carl.cookie }, payload: { locale: 'es' } });
    expect(change.statusCode, change.body).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email/resend', headers: { cookie: carl.cookie } })).statusCode).toBe(202);
    await deliver();
    expect(smtp.to(carl.email)[1]!.subject).toBe('Confirme su correo electrónico para Aidmap');
  });
});

describe('notifications by mail', () => {
  let needer: Person;
  let helper: Person;
  let matchId: string;
  let proposalMail: ReceivedMail;

  beforeAll(async () => {
    needer = await verified('Nadia');
    helper = await verified('Hugo');
  });

  it('a proposal to a verified need author sends exactly one mail, with the title, who acted and a link', async () => {
    const before = smtp.to(needer.email).length;
    const helperBefore = smtp.to(helper.email).length;
    ({ matchId } = await propose(helper, needer, 'Groceries for the Ortiz family'));
    await deliver();
    await deliver();
    const mails = newMails(needer, before);
    expect(mails).toHaveLength(1);
    proposalMail = mails[0]!;
    expect(proposalMail.subject).toContain('Groceries for the Ortiz family');
    expect(proposalMail.text).toContain('Hugo');
    expect(proposalMail.text).toContain(`${PUBLIC}/matches/${matchId}`);
    expect(proposalMail.headers['list-unsubscribe']).toMatch(new RegExp(`^<${PUBLIC}/api/unsubscribe\\?token=[^>]+>$`));
    expect(proposalMail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    // The one who proposed is not told of their own act.
    expect(smtp.to(helper.email)).toHaveLength(helperBefore);
  });

  it('a burst of three messages within the digest period is one more mail, not three', async () => {
    const before = smtp.to(needer.email).length;
    await write(helper, matchId, 'I can bring them on Thursday evening.');
    await write(helper, matchId, 'Is 6 pm fine?');
    await write(helper, matchId, 'I have a car, so heavy things are no problem.');
    // The last mail went less than the digest period ago: these wait for the next one.
    await deliver();
    expect(newMails(needer, before)).toHaveLength(0);

    ctx.clock.advance(DIGEST_MS);
    await deliver();
    const mails = newMails(needer, before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/3/);
    for (const text of ['I can bring them on Thursday evening.', 'Is 6 pm fine?', 'I have a car']) {
      expect(mails[0]!.text).toContain(text);
    }
    expect(mails[0]!.text).toContain(`${PUBLIC}/matches/${matchId}`);

    ctx.clock.advance(DIGEST_MS);
    await deliver();
    expect(newMails(needer, before)).toHaveLength(1);
  });

  it('a kind turned off in the settings while its notifications wait for the digest goes by no mail', async () => {
    const before = smtp.to(needer.email).length;
    const choose = (enabled: boolean) =>
      ctx.app.inject({
        method: 'PUT',
        url: '/api/me/notification-preferences',
        headers: { cookie: needer.cookie },
        payload: { changes: [{ kind: 'message.created', channel: 'email', enabled }] },
      });
    await write(helper, matchId, 'Thursday it is.');
    await deliver();
    expect(newMails(needer, before)).toHaveLength(1);
    await write(helper, matchId, 'Never mind, see you Thursday.');
    await deliver(); // the last mail went less than the digest period ago: this one waits
    expect((await choose(false)).statusCode).toBe(200);
    ctx.clock.advance(DIGEST_MS);
    await deliver();
    expect(newMails(needer, before)).toHaveLength(1);
    const [row] = rowsOf<{ email: string | null }>(
      await ctx.database.db.execute(sql`SELECT email FROM notifications WHERE user_id = ${needer.id} AND data ->> 'text' = 'Never mind, see you Thursday.'`),
    );
    expect(row!.email).toBeNull();
    expect((await choose(true)).statusCode).toBe(200);
  });

  it('an unverified address gets no notification mail; the inbox still has it', async () => {
    const unverified = await signup(ctx.app, 'Ursula');
    await deliver();
    expect(smtp.to(unverified.email)).toHaveLength(1); // the verification link, which Ursula never opens
    await propose(helper, unverified, 'Winter coat, size M');
    ctx.clock.advance(DIGEST_MS);
    await deliver();
    expect(smtp.to(unverified.email)).toHaveLength(1);
    const inbox = await ctx.app.inject({ method: 'GET', url: '/api/me/notifications', headers: { cookie: unverified.cookie } });
    expect(inbox.json().items.map((n: { kind: string }) => n.kind)).toContain('match.proposed');
  });

  it('an address that stops being verified before its mail goes gets none', async () => {
    const olga = await verified('Olga');
    const before = smtp.to(olga.email).length;
    await propose(helper, olga, 'Ride to the clinic');
    // As an address no longer proven would be (nothing in the app un-verifies one yet).
    await ctx.database.db.execute(sql`UPDATE users SET email_verified_at = NULL WHERE id = ${olga.id}`);
    await deliver();
    expect(newMails(olga, before)).toHaveLength(0);
    const [row] = rowsOf<{ email: string | null }>(
      await ctx.database.db.execute(sql`SELECT email FROM notifications WHERE user_id = ${olga.id} AND kind = 'match.proposed'`),
    );
    expect(row!.email).toBeNull();
  });

  it("the one-click unsubscribe (RFC 8058) turns that kind's mails off; opening the link changes nothing", async () => {
    const link = /^<(.+)>$/.exec(proposalMail.headers['list-unsubscribe']!)![1]!;
    const path = link.slice(PUBLIC.length);

    // A browser opening it sees a page with a button; nothing changes yet.
    const page = await ctx.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<form method="post"');
    expect((await emailChoices(needer)).email['match.proposed']).toBe(true);
    // Its looks are allowed by its own policy: no style attributes, and each <style> named by its hash.
    const csp = String(page.headers['content-security-policy']);
    const styleSrc = /(?:^|;)\s*style-src ([^;]+)/.exec(csp)?.[1]?.split(/\s+/) ?? [];
    expect(page.body).not.toMatch(/\sstyle=/);
    const sheets = [...page.body.matchAll(/<style>([^<]*)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    expect(sheets.length).toBeGreaterThan(0);
    for (const sheet of sheets) {
      expect(styleSrc).toContain(sheet);
    }

    // A link not signed by the app does nothing.
    const forged = path.replace(/token=([^.]+)\.(.)/, (_m, body: string, c: string) => `token=${body}.${c === 'A' ? 'B' : 'A'}`);
    const refused = await ctx.app.inject({ method: 'POST', url: forged, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(refused.statusCode).toBe(400);
    expect((await emailChoices(needer)).email['match.proposed']).toBe(true);

    // The mail provider's POST: a form, no session, no Origin; multipart is what RFC 8058 §3.1 says it SHOULD send.
    const boundary = '----aidmap-test';
    const res = await ctx.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    // ... and MAY send urlencoded; a second press changes nothing more.
    const urlencoded = await ctx.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(urlencoded.statusCode, urlencoded.body).toBeLessThan(300);
    const choices = await emailChoices(needer);
    expect(choices.email['match.proposed']).toBe(false);
    expect(choices.email['message.created']).toBe(true);

    // The next proposal to Nadia goes by no mail; a message still does.
    ctx.clock.advance(DIGEST_MS);
    const before = smtp.to(needer.email).length;
    await propose(helper, needer, 'Soup for the weekend');
    await deliver();
    expect(newMails(needer, before)).toHaveLength(0);
    await write(helper, matchId, 'One more thing about Thursday.');
    await deliver();
    const mails = newMails(needer, before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('One more thing about Thursday.');
    expect(mails[0]!.text).not.toContain('Soup for the weekend');
  });

  it('while the mail server is down the mail waits and is tried again; once it is back the mail arrives once', async () => {
    ctx.clock.advance(DIGEST_MS);
    const before = smtp.to(needer.email).length;
    await smtp.down();
    await write(helper, matchId, 'Are you there? The server was down.');
    await deliver();
    expect(newMails(needer, before)).toHaveLength(0);
    const [job] = rowsOf<{ attempts: number; failed_at: string | null; run_at: string }>(
      await ctx.database.db.execute(sql`SELECT attempts, failed_at, run_at FROM jobs WHERE key = ${`email:${needer.id}`}`),
    );
    expect(job!.attempts).toBe(1);
    expect(job!.failed_at).toBeNull();
    expect(new Date(job!.run_at).getTime()).toBeGreaterThan(ctx.clock.now().getTime());

    await smtp.up(); // the same port
    ctx.clock.advance(60 * 60_000); // past any backoff
    await deliver();
    const mails = newMails(needer, before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('Are you there? The server was down.');

    ctx.clock.advance(60 * 60_000);
    await deliver();
    expect(newMails(needer, before)).toHaveLength(1);
    const [left] = rowsOf<{ n: number }>(await ctx.database.db.execute(sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${needer.id} AND email = 'due'`));
    expect(left!.n).toBe(0);
  });
});

describe('two instances on one database', () => {
  let a: TestContext;
  let b: TestContext;

  beforeAll(async () => {
    const [dbA, dbB] = await openTestDatabasePair();
    const clock = new TestClock();
    const env = { SMTP_URL: smtp.url, MAIL_DIGEST_MINUTES: '5', PUBLIC_URL: PUBLIC };
    a = await buildTestApp({ database: dbA, clock, env });
    b = await buildTestApp({ database: dbB, clock, env });
  });

  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
  });

  it('deliver one mail per notification, whichever claims it', async () => {
    const needer = await verified('Pia', a, b);
    const helper = await verified('Quentin', b, a);
    expect(smtp.to(needer.email)).toHaveLength(1);
    expect(smtp.to(helper.email)).toHaveLength(1);

    const { matchId } = await propose(helper, needer, 'Help moving a sofa', a);
    await deliver(a, b);
    await deliver(b, a);
    expect(smtp.to(needer.email)).toHaveLength(2);

    a.clock.advance(DIGEST_MS);
    await write(helper, matchId, 'Saturday morning?', b);
    await deliver(a, b);
    await deliver(b, a);
    const mails = smtp.to(needer.email);
    expect(mails).toHaveLength(3);
    expect(mails[2]!.text).toContain('Saturday morning?');
  });
});
