// Resetting a forgotten password by a mailed link, over real SMTP; and the
// mail fallback without SMTP_URL (files under DATA_DIR/mail).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, signup, type TestContext } from '../helper';
import { linkIn, TestSmtp } from '../smtp';

const PUBLIC = 'http://aidmap.test';
const PASSWORD = 'correct horse battery'; // the helper's sign-up password
const NEW_PASSWORD = 'a kettle of seven herons';

async function deliver(c: TestContext): Promise<void> {
  await c.app.queue.wake();
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

async function askReset(c: TestContext, email: string) {
  return c.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
}

async function confirm(c: TestContext, token: string, password: string) {
  return c.app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } });
}

async function logIn(c: TestContext, email: string, password: string) {
  return c.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
}

const cookieOf = (res: { headers: Record<string, unknown> }) => {
  const set = res.headers['set-cookie'] as string | string[];
  return (Array.isArray(set) ? set[0]! : set).split(';')[0]!;
};

describe('over SMTP', () => {
  let smtp: TestSmtp;
  let ctx: TestContext;

  beforeAll(async () => {
    smtp = await TestSmtp.start();
    ctx = await buildTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: PUBLIC } });
  });

  afterAll(async () => {
    await ctx?.app.close();
    await smtp?.down();
  });

  /** Asks for a reset of `email` and returns the token of the link mailed. */
  async function resetToken(email: string, typed = email): Promise<string> {
    const before = smtp.to(email).length;
    const res = await askReset(ctx, typed);
    expect(res.statusCode, res.body).toBe(202);
    await deliver(ctx);
    const mails = smtp.to(email).slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/reset/i);
    return tokenOf(linkIn(mails[0]!, `${PUBLIC}/reset-password?token=`));
  }

  it('answers an unknown address exactly as a known one, and mails nothing', async () => {
    const known = await signup(ctx.app, 'Kim');
    await deliver(ctx);
    const count = smtp.mails.length;
    const unknown = await askReset(ctx, 'nobody-here@example.org');
    expect(unknown.statusCode).toBe(202);
    await deliver(ctx);
    expect(smtp.mails).toHaveLength(count);

    const real = await askReset(ctx, known.email);
    expect(real.statusCode).toBe(202);
    expect(real.body).toBe(unknown.body);
    expect(real.headers['content-type']).toBe(unknown.headers['content-type']);
  });

  it('a reset link sets a new password, ends every session, verifies the address, and works once', async () => {
    const rosa = await signup(ctx.app, 'Rosa');
    await deliver(ctx); // the verification mail, never opened
    const other = await logIn(ctx, rosa.email, PASSWORD);
    expect(other.statusCode).toBe(200);
    const sessions = [rosa.cookie, cookieOf(other)];

    // The address as a person might type it on a phone.
    const token = await resetToken(rosa.email, ` ${rosa.email.toUpperCase()} `);

    // A password that falls short is refused the same way as at sign-up, and the link still works.
    const weak = await confirm(ctx, token, 'password1');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors.map((e: { path: string }) => e.path)).toContain('/password');

    const done = await confirm(ctx, token, NEW_PASSWORD);
    expect(done.statusCode, done.body).toBe(204);

    for (const cookie of sessions) {
      expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
    }
    expect((await logIn(ctx, rosa.email, PASSWORD)).statusCode).toBe(401);
    const fresh = await logIn(ctx, rosa.email, NEW_PASSWORD);
    expect(fresh.statusCode).toBe(200);
    const prefs = await ctx.app.inject({ method: 'GET', url: '/api/me/notification-preferences', headers: { cookie: cookieOf(fresh) } });
    expect(prefs.json().emailVerified).toBe(true);

    const twice = await confirm(ctx, token, 'yet another long passphrase');
    expect(twice.statusCode).toBe(400);
    expect(twice.headers['content-type']).toContain('application/problem+json');
    expect(twice.json().detail).toMatch(/used already/);
    expect((await logIn(ctx, rosa.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('using one reset link ends the others asked for before', async () => {
    const sam = await signup(ctx.app, 'Sam');
    await deliver(ctx);
    const first = await resetToken(sam.email);
    const second = await resetToken(sam.email);
    expect((await confirm(ctx, second, NEW_PASSWORD)).statusCode).toBe(204);
    expect((await confirm(ctx, first, 'yet another long passphrase')).statusCode).toBe(400);
    expect((await logIn(ctx, sam.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('a link older than an hour does not work, and the password stays', async () => {
    const tess = await signup(ctx.app, 'Tess');
    await deliver(ctx);
    const token = await resetToken(tess.email);
    ctx.clock.advance(61 * 60_000);
    const late = await confirm(ctx, token, NEW_PASSWORD);
    expect(late.statusCode).toBe(400);
    expect(late.json().detail).toMatch(/older than an hour/);
    expect((await logIn(ctx, tess.email, PASSWORD)).statusCode).toBe(200);
  });

  it('a made-up token is refused', async () => {
    const res = await confirm(ctx, 'A'.repeat(43), NEW_PASSWORD);
    expect(res.statusCode).toBe(400);
  });
});

describe('without SMTP_URL', () => {
  let dataDir: string;
  let ctx: TestContext;
  const logs: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aidmap-mail-'));
    // Real rate limits (scale 1), to see the reset ones.
    ctx = await buildTestApp({ env: { DATA_DIR: dataDir, PUBLIC_URL: PUBLIC, RATE_LIMIT_SCALE: '1' }, logStream: { write: (line) => void logs.push(line) } });
  });

  afterAll(async () => {
    await ctx?.app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function mailFiles(): Promise<string[]> {
    const dir = join(dataDir, 'mail');
    const names = (await readdir(dir)).sort();
    return Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')));
  }

  it('writes each mail to a file under DATA_DIR/mail, and logs where without the link', async () => {
    const uma = await signup(ctx.app, 'Uma');
    await deliver(ctx);
    expect(await askReset(ctx, uma.email).then((r) => r.statusCode)).toBe(202);
    await deliver(ctx);

    const files = await mailFiles();
    expect(files).toHaveLength(2);
    const reset = files.find((f) => f.includes('/reset-password?token='))!;
    expect(reset).toContain(`To: ${uma.email}`);
    const token = tokenOf(/(http:\/\/aidmap\.test\/reset-password\?token=\S+)/.exec(reset)![1]!);
    expect(files.some((f) => f.includes(`${PUBLIC}/verify-email?token=`))).toBe(true);

    const lines = logs.filter((l) => l.includes(join(dataDir, 'mail')));
    expect(lines).toHaveLength(2);
    expect(logs.some((l) => l.includes(token))).toBe(false);

    expect((await confirm(ctx, token, NEW_PASSWORD)).statusCode).toBe(204);
    expect((await logIn(ctx, uma.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('limits the reset links one address can be sent', async () => {
    const vic = await signup(ctx.app, 'Vic');
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push((await askReset(ctx, vic.email)).statusCode);
    }
    expect(answers).toEqual([202, 202, 202, 429]);
    // Counted per address, whether or not it has an account: a stranger's address answers the same.
    const stranger: number[] = [];
    for (let i = 0; i < 4; i++) {
      stranger.push((await askReset(ctx, 'not-a-member@example.org')).statusCode);
    }
    expect(stranger).toEqual([202, 202, 202, 429]);
  });

  it('limits the links tried from one connection, made-up tokens of all three kinds counted together', async () => {
    ctx.clock.advance(16 * 60_000); // a window of its own, past this file's earlier tries
    const token = 'A'.repeat(43);
    const tries = [
      () => ctx.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } }),
      () => confirm(ctx, token, NEW_PASSWORD),
      () => ctx.app.inject({ method: 'POST', url: '/api/auth/email-change/confirm', payload: { token } }),
    ];
    const answers: number[] = [];
    for (let i = 0; i < 31; i++) {
      answers.push((await tries[i % 3]!()).statusCode);
    }
    expect(answers).toEqual([...Array(30).fill(400), 429]);
    const limited = await tries[1]!();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().detail).toMatch(/^Many links were tried from this connection/);
    // A quarter of an hour later, links work again.
    ctx.clock.advance(15 * 60_000);
    expect((await tries[0]!()).statusCode).toBe(400);
  });
});
