// Verifying an address and resetting a forgotten password, by real mails
// over SMTP; and, without SMTP_URL, the mails written under DATA_DIR.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, signup, type TestContext } from '../helper';
import { TestSmtp, tokenIn } from '../smtp';

let smtp: TestSmtp;
let ctx: TestContext;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  smtp = await TestSmtp.start();
  ctx = await buildTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://aidmap.example.org' } });
});
afterAll(async () => {
  await ctx?.app.close();
  await smtp?.down();
});

const post = (url: string, payload?: unknown, cookie?: string) => ctx.app.inject({ method: 'POST', url, payload: payload as never, headers: cookie ? { cookie } : {} });
const login = (email: string, password: string) => post('/api/auth/login', { email, password });
const prefs = async (cookie: string) => (await ctx.app.inject({ method: 'GET', url: '/api/me/notification-preferences', headers: { cookie } })).json().emailVerified as boolean;

describe('verifying an address', () => {
  it('sign-up mails a link; it verifies once; a new one can be asked for; a wrong token is a 400 that says what to do', async () => {
    const eve = await signup(ctx.app, 'Eve');
    expect(await prefs(eve.cookie)).toBe(false);
    await ctx.app.queue.wake();
    const [mail] = smtp.to(eve.email);
    expect(mail!.text).toMatch(/^Hello Eve,/);
    expect(mail!.text).toContain('https://aidmap.example.org/verify-email?token=');
    const token = tokenIn(mail!, 'verify-email');
    expect((await post('/api/auth/verify-email', { token })).statusCode).toBe(204);
    expect(await prefs(eve.cookie)).toBe(true);
    const again = await post('/api/auth/verify-email', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().detail).toMatch(/used already/);
    expect((await post('/api/auth/verify-email/resend', {}, eve.cookie)).statusCode).toBe(409);

    const fay = await signup(ctx.app, 'Fay');
    expect((await post('/api/auth/verify-email/resend', undefined, fay.cookie)).statusCode).toBe(202);
    await ctx.app.queue.wake();
    expect(smtp.to(fay.email)).toHaveLength(2);
    // Expired after 24 hours.
    ctx.clock.advance(24 * 3_600_000 + 1000);
    expect((await post('/api/auth/verify-email', { token: tokenIn(smtp.to(fay.email)[1]!, 'verify-email') })).statusCode).toBe(400);
    expect((await post('/api/auth/verify-email', { token: 'x'.repeat(43) })).statusCode).toBe(400);
    expect((await post('/api/auth/verify-email/resend')).statusCode).toBe(401);
  });
});

describe('resetting a forgotten password', () => {
  it('always 202; a real link sets a new password once, ends every session, and verifies the address', async () => {
    const gus = await signup(ctx.app, 'Gus');
    await ctx.app.queue.wake();
    const before = smtp.mails.length;
    // Unknown and known addresses answer alike; only the known one gets a mail.
    expect((await post('/api/auth/password-reset', { email: 'nobody-here@example.org' })).statusCode).toBe(202);
    expect((await post('/api/auth/password-reset', { email: `  ${gus.email.toUpperCase()} ` })).statusCode).toBe(202);
    await ctx.app.queue.wake();
    const sent = smtp.mails.slice(before);
    expect(sent.map((m) => m.to)).toEqual([[gus.email]]);
    expect(sent[0]!.subject).toBe('Reset your Aidmap password');
    const token = tokenIn(sent[0]!, 'reset-password');

    // A weak password is refused and the link still works.
    const weak = await post('/api/auth/password-reset/confirm', { token, password: 'password1' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].path).toBe('/password');
    const done = await post('/api/auth/password-reset/confirm', { token, password: 'a whole new passphrase' });
    expect(done.statusCode, done.body).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: gus.cookie } })).statusCode).toBe(401);
    expect((await login(gus.email, PASSWORD)).statusCode).toBe(401);
    const back = await login(gus.email, 'a whole new passphrase');
    expect(back.statusCode).toBe(200);
    expect(await prefs((back.headers['set-cookie'] as string).split(';')[0]!)).toBe(true);
    // Used once.
    expect((await post('/api/auth/password-reset/confirm', { token, password: 'yet another passphrase' })).statusCode).toBe(400);
  });

  it('a link older than an hour does not work', async () => {
    const hal = await signup(ctx.app, 'Hal');
    await post('/api/auth/password-reset', { email: hal.email });
    await ctx.app.queue.wake();
    const token = tokenIn(smtp.to(hal.email).find((m) => m.subject.startsWith('Reset'))!, 'reset-password');
    ctx.clock.advance(61 * 60_000);
    const late = await post('/api/auth/password-reset/confirm', { token, password: 'a whole new passphrase' });
    expect(late.statusCode).toBe(400);
    expect(late.json().detail).toMatch(/older than an hour/);
    expect((await login(hal.email, PASSWORD)).statusCode).toBe(200);
  });

  it('is limited per address: the fourth request in an hour is 429', { timeout: 120_000 }, async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_SCALE: '1' } });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await limited.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'someone@example.org' } })).statusCode).toBe(202);
      }
      expect((await limited.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: 'someone@example.org' } })).statusCode).toBe(429);
    } finally {
      await limited.app.close();
    }
  });
});

describe('without SMTP_URL', () => {
  it('writes each mail under DATA_DIR/mail, so a developer can open the link', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aidmap-mail-'));
    const local = await buildTestApp({ env: { DATA_DIR: dir } });
    try {
      const ivy = await signup(local.app, 'Ivy');
      await local.app.queue.wake();
      const files = readdirSync(join(dir, 'mail'));
      expect(files).toHaveLength(1);
      const text = readFileSync(join(dir, 'mail', files[0]!), 'utf8');
      expect(text).toContain(`To: ${ivy.email}`);
      expect(text).toMatch(/\/verify-email\?token=[A-Za-z0-9_-]{43}/);
    } finally {
      await local.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
