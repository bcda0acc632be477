// "Your account" on a phone: the password rule shown before the first try,
// the server's reason shown at the field, a password change, the sessions
// list, and signing out everywhere else (the other phone finds itself
// signed out). Screenshots go to test/e2e/artifacts (account-*.png).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axe, e2eSession, shot } from './browser';

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';

async function open(path = '/'): Promise<Page> {
  const context = await e2e.phone();
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('button', { name: /^(Sign in|Sign out)$/ }).waitFor();
  return page;
}

describe('your account', () => {
  it('changes the password with the server’s reasons in place, lists sessions, signs out everywhere else', async () => {
    const email = `acct-${Date.now()}@example.org`;
    const phoneA = await open();
    await phoneA.getByRole('button', { name: 'Sign in' }).click();
    const dialog = phoneA.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    // The rule is read with the field, before anyone has to fail to learn it.
    const rule = await dialog.getByLabel('Password').getAttribute('aria-describedby');
    expect(await phoneA.locator(`[id="${rule!.split(' ')[0]}"]`).textContent()).toMatch(/At least 10 characters/);
    await dialog.getByLabel('Your name').fill('Ada');
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Password').fill('password1234');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await dialog.getByText(/too easy to guess/).waitFor();
    expect(await dialog.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await shot(phoneA, 'account-signup-refused');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await phoneA.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    // A second phone signs in to the same account.
    const phoneB = await open();
    await phoneB.getByRole('button', { name: 'Sign in' }).click();
    await phoneB.getByRole('dialog').getByLabel('Email').fill(email);
    await phoneB.getByRole('dialog').getByLabel('Password').fill(PASSWORD);
    await phoneB.getByRole('dialog').getByRole('button', { name: 'Sign in' }).click();
    await phoneB.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    await phoneA.getByRole('link', { name: 'Your account' }).click();
    await phoneA.getByRole('heading', { name: 'Where you are signed in' }).waitFor();
    await phoneA.getByRole('button', { name: /^Sign out: .*This device/ }).waitFor();
    expect(await phoneA.getByRole('button', { name: /^Sign out: / }).count()).toBe(2);
    expect(await axe(phoneA), 'the account page').toEqual([]);
    await shot(phoneA, 'account-page');

    // A weak new password: the server's reason at the field; a wrong current one: at its field.
    await phoneA.getByLabel('Current password').fill(PASSWORD);
    await phoneA.getByLabel('New password').fill('qwertyuiop');
    await phoneA.getByRole('button', { name: 'Change password' }).click();
    await phoneA.getByText(/too easy to guess/).waitFor();
    expect(await phoneA.getByLabel('New password').getAttribute('aria-invalid')).toBe('true');
    await shot(phoneA, 'account-weak-password');
    await phoneA.getByLabel('Current password').fill('not my password');
    await phoneA.getByLabel('New password').fill('lamp violin harbor tuesday');
    await phoneA.getByRole('button', { name: 'Change password' }).click();
    await phoneA.getByText('is not right').waitFor();
    expect(await phoneA.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');

    // Signing out everywhere else: phone B is out.
    await phoneA.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await phoneA.getByRole('status').filter({ hasText: 'Signed out everywhere else (1).' }).waitFor();
    expect(await phoneA.getByRole('button', { name: /^Sign out: / }).count()).toBe(1);
    await phoneA.getByText('You are signed in only here.').waitFor();
    await shot(phoneA, 'account-signed-out-elsewhere');
    await phoneB.reload();
    await phoneB.getByRole('button', { name: 'Sign in' }).waitFor();

    // The change itself.
    await phoneA.getByLabel('Current password').fill(PASSWORD);
    await phoneA.getByLabel('New password').fill('lamp violin harbor tuesday');
    await phoneA.getByRole('button', { name: 'Change password' }).click();
    await phoneA.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await phoneA.getByLabel('New password').inputValue()).toBe('');

    // In Spanish.
    await phoneA.getByLabel('Language').selectOption('es');
    await phoneA.getByRole('heading', { name: 'Su cuenta', exact: true }).waitFor();
    await phoneA.getByRole('heading', { name: 'Dónde tiene la sesión abierta' }).waitFor();
    await shot(phoneA, 'account-es');
  });
});
