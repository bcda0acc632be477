// The app's words (issue 16, item 9): the server's refusals read in the
// app's language, by their codes, never as "/windows/0/end: must be after
// start"; a post its author cancelled says so, and what to do next, rather
// than "You will be told when someone does". Screenshots: words-*.png.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiClient, axe, e2eSession, shot, signInPhone } from './browser';

const e2e = e2eSession();
const AT = { lat: 40.6694, lng: -73.9422 };
const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** A phone in `locale`, signed in as the API client's person, opened at `path`. */
async function phoneAs(api: ReturnType<typeof apiClient>, path: string, locale = 'en-US'): Promise<Page> {
  const context = await e2e.phone({ locale });
  const cookie = api.cookie();
  await signInPhone(context, cookie, e2e.server.url);
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('button', { name: /^(Sign out|Salir)$/ }).waitFor();
  return page;
}

describe('the server’s refusals in the app’s language', () => {
  it('a Spanish sign-up the server refuses says why in Spanish, beside each field', async () => {
    const page = await (await e2e.phone({ locale: 'es-ES' })).newPage();
    await page.goto(`${e2e.server.url}/`);
    await page.getByRole('button', { name: 'Entrar' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Crear una cuenta' }).click();
    await dialog.locator('input[name=displayName]').fill('Ana');
    await dialog.locator('input[name=email]').fill('ana-en-ejemplo');
    await dialog.locator('input[name=password]').fill('corta');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/auth/signup'));
    await dialog.getByRole('button', { name: 'Crear una cuenta' }).first().click();
    const problem = (await (await answered).json()) as { status: number; code: string; errors: { path: string; code: string }[] };
    expect(problem).toMatchObject({ status: 400, code: 'invalid' });

    await dialog.locator('#err-email').getByText('debe ser una dirección de correo, como nombre@ejemplo.org').waitFor();
    const password = (await dialog.locator('#err-password').textContent())!.trim();
    expect(password).toMatch(/^(debe tener al menos 10 caracteres|es demasiado fácil de adivinar)/);
    // No English, no pointers.
    const shown = (await dialog.textContent())!;
    expect(shown).not.toMatch(/must|is not valid|\/email|\/password/);
    expect(await axe(page), 'the sign-up dialog with the server’s reasons').toEqual([]);
    await shot(page, 'words-signup-refused-es');

    // A refusal that names no field: the sentence for its code.
    await dialog.getByRole('button', { name: 'Entrar' }).last().click();
    await dialog.locator('input[name=email]').fill('nadie@example.org');
    await dialog.locator('input[name=password]').fill('no es la contraseña');
    await dialog.locator('form').getByRole('button', { name: 'Entrar' }).first().click();
    await dialog.getByRole('alert').getByText('La dirección de correo o la contraseña no son correctas.').waitFor();
  });
});

describe('a post that no longer looks for help', () => {
  it('cancelled, says so and offers to post again, instead of "you will be told"', async () => {
    const api = apiClient(e2e.server.url);
    await api.call('POST', '/api/auth/signup', { email: `lu-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Lu' });
    const { post } = await api.call<{ post: { id: string } }>('POST', '/api/posts', {
      kind: 'need',
      category: 'errand',
      title: 'Pick up a parcel',
      location: AT,
      radiusM: 2000,
      windows: [{ start: soon(30), end: soon(32) }],
      capacity: 1,
      details: {},
    });
    const page = await phoneAs(api, `/posts/${post.id}`);
    await page.getByText('Nobody fits yet. You will be told when someone does.').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel this post' }).click();
    await page.getByText('You cancelled this post, so nobody will be matched with it.', { exact: false }).waitFor();
    expect(await page.getByText('You will be told').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Who could help' }).count()).toBe(0);
    expect(await axe(page), 'a cancelled post, to its author').toEqual([]);
    await shot(page, 'words-cancelled-post');

    // Posting again starts from the same kind and category.
    await page.getByRole('link', { name: 'Post it again' }).click();
    expect(new URL(page.url()).pathname).toBe('/new');

    // In Spanish too.
    const es = await phoneAs(api, `/posts/${post.id}`, 'es-ES');
    await es.getByText('Usted canceló esta publicación', { exact: false }).waitFor();
  });
});
