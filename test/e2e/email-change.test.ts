// Changing one's e-mail address on a phone, with real mail: the account page
// asks for the password, says where the link went; the old address is told;
// the link, opened on the phone, moves the account and the page says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSmtp } from '../smtp';
import { apiClient, axe, e2eSession, shot, signInPhone } from './browser';

const PASSWORD = 'correct horse battery';

let smtp: TestSmtp;
// Started first (hooks run in order), so the server's env can name it.
beforeAll(async () => {
  smtp = await TestSmtp.start();
});
afterAll(async () => {
  await smtp?.down();
});
const e2e = e2eSession(() => ({ SMTP_URL: smtp.url, MAIL_DIGEST_MINUTES: '0', JOBS_POLL_MS: '200' }));

/** Waits until a mail to `to` whose subject matches has come. */
async function mailTo(to: string, subject: RegExp) {
  for (;;) {
    const found = smtp.to(to).find((m) => subject.test(m.subject));
    if (found) {
      return found;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('your e-mail address', () => {
  it('moves to a new address only through the link mailed there, and tells the old one', async () => {
    const api = apiClient(e2e.server.url);
    const stamp = Date.now();
    const old = `nia-${stamp}@example.org`;
    const next = `nia.new-${stamp}@example.net`;
    await api.call('POST', '/api/auth/signup', { email: old, password: PASSWORD, displayName: 'Nia' });
    const context = await e2e.phone();
    const cookie = api.cookie();
    await signInPhone(context, cookie, e2e.server.url);
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}/account`);

    const section = page.getByRole('region', { name: 'Your e-mail address' });
    await section.getByText(`You sign in with ${old}`).waitFor();
    await section.getByRole('button', { name: 'Change your e-mail address' }).click();
    await section.getByLabel('New e-mail address').fill(next);

    // A wrong password: said at the field, nothing sent.
    await section.getByLabel('Your password').fill('not my password');
    await section.getByRole('button', { name: 'Send the link' }).click();
    await section.getByText('is not right').waitFor();
    expect(await section.getByLabel('Your password').getAttribute('aria-invalid')).toBe('true');

    await section.getByLabel('Your password').fill(PASSWORD);
    await section.getByRole('button', { name: 'Send the link' }).click();
    await section.getByRole('status').getByText(`We sent a link to ${next}`).waitFor();
    // Until the link is opened, nothing changed.
    await section.getByText(`You sign in with ${old}`).waitFor();
    expect(await axe(page), 'the account page after asking').toEqual([]);
    await shot(page, 'email-change-sent');

    const notice = await mailTo(old, /change your Aidmap address/i);
    expect(notice.text).toContain(next);
    const link = (await mailTo(next, /Confirm your new e-mail address/)).text.split(/\s+/).find((w) => w.includes('/change-email?token='))!;
    expect(link.startsWith(`${e2e.server.url}/change-email?token=`)).toBe(true);

    await page.goto(link);
    await page.getByRole('status').getByText(`Done: your account now uses ${next}`).waitFor();
    // The token does not stay in the address bar.
    expect(page.url()).not.toContain('token=');
    expect(await axe(page), 'the page the link opens').toEqual([]);
    await shot(page, 'email-change-done');

    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.getByRole('region', { name: 'Your e-mail address' }).getByText(`You sign in with ${next}`).waitFor();
  });
});
