// "Your account" on a phone, the name and the end of it: a rename with the
// server's reasons at the field and the new name shown; the language chosen
// in the app kept on the server (mails and pushes are written in it); and
// deleting the account: a wrong password said at its field, then the right
// one, after a question; signed out, back on the map, the old address no
// longer signing in (and free to sign up again), the neighbour's thread
// keeping the messages from "A former neighbour". Screenshots go to
// test/e2e/artifacts (account-delete-*.png).
import { describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import postgres from 'postgres';
import { apiClient, axe, e2eSession, shot } from './browser';

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';
const AT = { lat: 40.6694, lng: -73.9422 };
const VIEW = `/?lat=${AT.lat}&lng=${AT.lng}&zoom=15`;
const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const windows = [{ start: soon(24), end: soon(26) }];

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

/** A person made through the API, with one post. */
async function person(name: string, post: { kind: 'need' | 'offer'; category: string; title: string }) {
  const api = apiClient(e2e.server.url);
  const email = `${name.toLowerCase()}-${Date.now()}@example.org`;
  await api.call('POST', '/api/auth/signup', { email, password: PASSWORD, displayName: name });
  const { post: made } = await api.call<{ post: { id: string } }>('POST', '/api/posts', {
    ...post,
    location: AT,
    windows,
    ...(post.kind === 'offer' ? { radiusM: 3000 } : {}),
    capacity: 1,
    details: {},
  });
  return { api, email, postId: made.id };
}

/** The language the server writes to `email` in (null on the embedded database, which the harness does not expose). */
async function storedLocale(email: string): Promise<string | null> {
  if (!e2e.server.databaseUrl) {
    return null;
  }
  const sql = postgres(e2e.server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ locale: string }[]>`SELECT locale FROM users WHERE email = ${email}`;
    return rows[0]?.locale ?? null;
  } finally {
    await sql.end();
  }
}

/** The next `PATCH /api/me` the page sends. */
const patchMe = (page: Page): Promise<Request> => page.waitForRequest((r) => r.method() === 'PATCH' && new URL(r.url()).pathname === '/api/me');

/** The element that has the focus: its name attribute, or its text. */
const focused = (page: Page): Promise<string> =>
  page.evaluate(() => {
    // The page's globals, typed by hand (the tests compile without the DOM library).
    const el = (globalThis as unknown as { document: { activeElement: { name?: string; textContent: string | null } | null } }).document.activeElement;
    return el?.name || el?.textContent?.trim() || '';
  });

describe('your name, your language, and deleting your account', () => {
  it('renames with the reasons at the field, keeps the language on the server, deletes after the password and a question', async () => {
    const rosa = await person('Rosa', { kind: 'need', category: 'grocery', title: 'Groceries from the corner shop' });
    const bea = await person('Bea', { kind: 'offer', category: 'grocery', title: 'Shopping on my way home' });
    const { match } = await bea.api.call<{ match: { id: string } }>('POST', '/api/matches', { needId: rosa.postId, offerId: bea.postId });
    await rosa.api.call('POST', `/api/matches/${match.id}/messages`, { body: 'Thank you, Bea! Milk and bread, please.' });

    // Rosa signs in on her phone: the app tells the server the language she uses here.
    const context = await e2e.phone();
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}${VIEW}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill(rosa.email);
    await dialog.getByLabel('Password').fill(PASSWORD);
    const onSignIn = patchMe(page);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    expect((await onSignIn).postDataJSON()).toEqual({ locale: 'en' });
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('heading', { name: 'Your name' }).waitFor();
    const nameField = page.getByRole('textbox', { name: /^Name\b/ });
    expect(await nameField.inputValue()).toBe('Rosa');
    await page.getByText('Signed in as Rosa (').waitFor();
    await accessible(page, 'the account page with the name and deleting');
    await shot(page, 'account-delete-page');

    // The server's reasons, at the field.
    await nameField.fill('   ');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('must not be blank').waitFor();
    expect(await nameField.getAttribute('aria-invalid')).toBe('true');
    await nameField.fill('A former neighbour');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText(/the name shown for deleted accounts/).waitFor();
    await shot(page, 'account-delete-name-refused');

    // Renamed: said politely, and shown where her name is.
    await nameField.fill('Rosa María ');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. Others now see your name as “Rosa María”.' }).waitFor();
    expect(await nameField.getAttribute('aria-invalid')).toBe('false');
    expect(await nameField.inputValue()).toBe('Rosa María');
    await page.getByText('Signed in as Rosa María (').waitFor();
    expect((await bea.api.call<{ match: { need: { author: { displayName: string } } } }>('GET', `/api/matches/${match.id}`)).match.need.author.displayName).toBe('Rosa María');
    await shot(page, 'account-delete-renamed');

    // Español: the server is told, and told again when the app starts signed in.
    const onSpanish = patchMe(page);
    await page.getByLabel('Language').selectOption('es');
    expect((await onSpanish).postDataJSON()).toEqual({ locale: 'es' });
    await page.getByRole('heading', { name: 'Eliminar su cuenta' }).waitFor();
    await expect.poll(() => storedLocale(rosa.email)).toBe(e2e.server.databaseUrl ? 'es' : null);
    await shot(page, 'account-delete-es');
    const onStart = patchMe(page);
    await page.reload();
    expect((await onStart).postDataJSON()).toEqual({ locale: 'es' });
    await page.getByRole('heading', { name: 'Su nombre' }).waitFor();
    const onEnglish = patchMe(page);
    await page.getByLabel('Idioma').selectOption('en');
    expect((await onEnglish).postDataJSON()).toEqual({ locale: 'en' });
    await expect.poll(() => storedLocale(rosa.email)).toBe(e2e.server.databaseUrl ? 'en' : null);

    // Deleting: what happens is said first.
    const section = page.getByRole('region', { name: 'Delete your account' });
    await section.getByText('Your open posts are cancelled.').waitFor();
    await section.getByText(/from “A former neighbour”/).waitFor();
    const passwordField = section.getByLabel('Your password');
    // No password yet: said at the field, which takes the focus.
    await section.getByRole('button', { name: 'Delete account' }).click();
    await section.getByText('Type your password first.').waitFor();
    expect(await focused(page)).toBe('password');

    // A question first; "Keep it" goes back, the button keeping the focus.
    await passwordField.fill('not my password');
    await section.getByRole('button', { name: 'Delete account' }).click();
    const question = section.getByRole('group', { name: 'Delete your account now? This cannot be undone.' });
    await question.waitFor();
    expect(await focused(page)).toBe('Delete your account now? This cannot be undone.');
    await accessible(page, 'the question before deleting');
    await shot(page, 'account-delete-question');
    await question.getByRole('button', { name: 'Keep it' }).click();
    await section.getByRole('button', { name: 'Delete account' }).waitFor();
    expect(await focused(page)).toBe('Delete account');

    // A wrong password: said at the field, which takes the focus; nothing deleted.
    await section.getByRole('button', { name: 'Delete account' }).click();
    await question.getByRole('button', { name: 'Delete my account' }).click();
    await section.getByRole('alert').filter({ hasText: 'Your account is unchanged.' }).waitFor();
    await section.getByText('is not right', { exact: true }).waitFor();
    expect(await passwordField.getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page)).toBe('password');
    await accessible(page, 'a wrong password at deleting');
    await shot(page, 'account-delete-wrong-password');

    // The right one: signed out, on the map, told so.
    await passwordField.fill(PASSWORD);
    await section.getByRole('button', { name: 'Delete account' }).click();
    await question.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText('Your account is deleted.').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Your account' }).count()).toBe(0);
    await accessible(page, 'the map after deleting');
    await shot(page, 'account-delete-done');

    // The old account no longer signs in, on the phone or anywhere.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await dialog.getByLabel('Email').fill(rosa.email);
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await page.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(0);
    await shot(page, 'account-delete-no-sign-in');
    const login = await fetch(`${e2e.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: rosa.email, password: PASSWORD }),
    });
    expect(login.status).toBeGreaterThanOrEqual(400);

    // Bea's side: the match is cancelled, and Rosa's message stays, from a former neighbour.
    const after = await bea.api.call<{ match: { status: string } }>('GET', `/api/matches/${match.id}`);
    expect(after.match.status).toBe('cancelled');
    const { items } = await bea.api.call<{ items: { body: string; author: { displayName: string } }[] }>('GET', `/api/matches/${match.id}/messages`);
    expect(items.map((m) => [m.author.displayName, m.body])).toEqual([['A former neighbour', 'Thank you, Bea! Milk and bread, please.']]);

    // The address is free to sign up again.
    await apiClient(e2e.server.url).call('POST', '/api/auth/signup', { email: rosa.email, password: PASSWORD, displayName: 'Rosa' });
  });
});
