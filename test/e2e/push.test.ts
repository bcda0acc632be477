// A push message in Chromium: the app's service worker (web/public/sw.js)
// is given a message as the server makes it, through DevTools'
// ServiceWorker.deliverPushMessage (what a push service would hand the
// browser, decrypted), and shows it as a notification with the message's
// title, text, icon and link; a newer message about the same match
// replaces it. The server's side (encryption, VAPID, the push service's
// answers) is test/integration/push.test.ts.
import { randomUUID } from 'node:crypto';
import type { CDPSession, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { PushMessage } from '../../server/contract/push';
import { pushMessage } from '../../server/notifications/push';
import { e2eSession } from './browser';

const e2e = e2eSession();

/** The page's globals used here, typed by hand: this file is type-checked for Node, without the DOM's types. */
interface InPage {
  navigator: {
    serviceWorker: {
      register(url: string): Promise<unknown>;
      ready: Promise<{ scope: string; getNotifications(): Promise<{ title: string; body: string; icon: string; tag: string; data: unknown }[]> }>;
    };
  };
  Notification: { permission: string };
}

interface Shown {
  title: string;
  body: string;
  icon: string;
  tag: string;
  data: { url: string };
}

/**
 * The notifications the app's worker shows, once one is titled `title`
 * (the push event is handled in the worker after DevTools hands it over).
 * Polled in the page: waitForFunction takes a promise for a truthy answer.
 */
function shownTitled(page: Page, title: string): Promise<Shown[]> {
  return page.evaluate(async (t) => {
    const registration = await (globalThis as unknown as InPage).navigator.serviceWorker.ready;
    for (;;) {
      const list = await registration.getNotifications();
      if (list.some((n) => n.title === t)) {
        return list.map((n) => ({ title: n.title, body: n.body, icon: n.icon, tag: n.tag, data: n.data as { url: string } }));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, title);
}

/** DevTools' id of the worker registration at `scope`, once it is known. */
function registrationAt(cdp: CDPSession, scope: string): Promise<string> {
  return new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const found = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (found) {
        resolve(found.registrationId);
      }
    });
  });
}

describe('push notifications in the browser', () => {
  it('shows a push message from the server as a notification linking to its match, replaced by the next about it', async () => {
    const origin = e2e.server.url;
    const context = await e2e.phone();
    await context.grantPermissions(['notifications'], { origin });
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const scope = await page.evaluate(async () => {
      const { serviceWorker } = (globalThis as unknown as InPage).navigator;
      await serviceWorker.register('/sw.js');
      return (await serviceWorker.ready).scope;
    });
    expect(scope).toBe(`${origin}/`);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).Notification.permission)).toBe('granted');

    const cdp = await context.newCDPSession(page);
    const registered = registrationAt(cdp, scope);
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registered;

    // The messages as the server writes them (server/notifications/push.ts) for a need's author.
    const matchId = randomUUID();
    const me = randomUUID();
    const about = { userId: me, postId: randomUUID(), matchId, communityId: null, postAuthorId: me };
    const proposed = pushMessage({ ...about, kind: 'match.proposed', data: { title: 'Ride to the eye doctor', actorName: 'Grace' } }, 'en');
    expect(proposed).toEqual({ title: 'Grace offered to help', body: 'Ride to the eye doctor', url: `/matches/${matchId}`, tag: `match:${matchId}` } satisfies PushMessage);

    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(proposed) });
    expect(await shownTitled(page, proposed.title)).toEqual([
      { title: 'Grace offered to help', body: 'Ride to the eye doctor', icon: `${origin}/icons/icon-192.png`, tag: `match:${matchId}`, data: { url: `/matches/${matchId}` } },
    ]);

    // A message in the same match: one notification for it, now the message.
    const message = pushMessage({ ...about, kind: 'message.created', data: { title: 'Ride to the eye doctor', actorName: 'Grace', text: 'I can be there at 9.' } }, 'en');
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(message) });
    expect(await shownTitled(page, 'Message from Grace')).toEqual([
      { title: 'Message from Grace', body: 'I can be there at 9.', icon: `${origin}/icons/icon-192.png`, tag: `match:${matchId}`, data: { url: `/matches/${matchId}` } },
    ]);

    // A message that is not ours to trust: still shown (Chrome insists), linking nowhere but the app.
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify({ title: 'Elsewhere', url: 'https://evil.example/' }) });
    const all = await shownTitled(page, 'Elsewhere');
    expect(all.find((n) => n.title === 'Elsewhere')).toMatchObject({ body: '', tag: '', data: { url: '/' } });
  });
});
