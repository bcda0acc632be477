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
 * (the push event is handled in the worker after DevTools hands it over);
 * null if none is within `ms`. Polled in the page.
 */
function shownWithin(page: Page, title: string, ms: number): Promise<Shown[] | null> {
  return page.evaluate(
    async ([t, wait]) => {
      const registration = await (globalThis as unknown as InPage).navigator.serviceWorker.ready;
      for (const until = Date.now() + wait; Date.now() < until; ) {
        const list = await registration.getNotifications();
        if (list.some((n) => n.title === t)) {
          return list.map((n) => ({ title: n.title, body: n.body, icon: n.icon, tag: n.tag, data: n.data as { url: string } }));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return null;
    },
    [title, ms] as const,
  );
}

/**
 * Hands `data` to the worker as a push message and waits for the
 * notification titled `title`. A push service delivers again what a
 * browser did not take; so does this, once, when a loaded machine's worker
 * showed nothing within 15 s (seen in CI beside the embedded test run).
 */
async function pushAndShown(cdp: CDPSession, page: Page, delivery: { origin: string; registrationId: string; data: string }, title: string): Promise<Shown[]> {
  for (let attempt = 0; attempt < 2; attempt++) {
    await cdp.send('ServiceWorker.deliverPushMessage', delivery);
    const shown = await shownWithin(page, title, 15_000);
    if (shown) {
      return shown;
    }
  }
  throw new Error(`no notification titled "${title}" after two deliveries`);
}

/**
 * DevTools' id of the worker registration at `scope`: ServiceWorker.enable
 * reports the registrations there are. Asked again if no report names it
 * within 10 s; an error after 30.
 */
async function registrationAt(cdp: CDPSession, scope: string): Promise<string> {
  let found: string | null = null;
  const listener = ({ registrations }: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) => {
    found ??= registrations.find((r) => r.scopeURL === scope && !r.isDeleted)?.registrationId ?? null;
  };
  cdp.on('ServiceWorker.workerRegistrationUpdated', listener);
  try {
    for (let second = 0; second < 30 && found === null; second++) {
      if (second % 10 === 0) {
        await cdp.send('ServiceWorker.disable');
        await cdp.send('ServiceWorker.enable');
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    cdp.off('ServiceWorker.workerRegistrationUpdated', listener);
  }
  if (found === null) {
    throw new Error(`DevTools reported no service worker registration at ${scope} within 30 s`);
  }
  return found;
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
    const registrationId = await registrationAt(cdp, scope);

    // The messages as the server writes them (server/notifications/push.ts) for a need's author.
    const matchId = randomUUID();
    const me = randomUUID();
    const about = { userId: me, postId: randomUUID(), matchId, communityId: null, postAuthorId: me };
    const proposed = pushMessage({ ...about, kind: 'match.proposed', data: { title: 'Ride to the eye doctor', actorName: 'Grace' } }, 'en');
    expect(proposed).toEqual({ title: 'Grace offered to help', body: 'Ride to the eye doctor', url: `/matches/${matchId}`, tag: `match:${matchId}` } satisfies PushMessage);

    expect(await pushAndShown(cdp, page, { origin, registrationId, data: JSON.stringify(proposed) }, proposed.title)).toEqual([
      { title: 'Grace offered to help', body: 'Ride to the eye doctor', icon: `${origin}/icons/icon-192.png`, tag: `match:${matchId}`, data: { url: `/matches/${matchId}` } },
    ]);

    // A message in the same match: one notification for it, now the message.
    const message = pushMessage({ ...about, kind: 'message.created', data: { title: 'Ride to the eye doctor', actorName: 'Grace', text: 'I can be there at 9.' } }, 'en');
    expect(await pushAndShown(cdp, page, { origin, registrationId, data: JSON.stringify(message) }, 'Message from Grace')).toEqual([
      { title: 'Message from Grace', body: 'I can be there at 9.', icon: `${origin}/icons/icon-192.png`, tag: `match:${matchId}`, data: { url: `/matches/${matchId}` } },
    ]);

    // A message that is not ours to trust: still shown (Chrome insists), linking nowhere but the app.
    const all = await pushAndShown(cdp, page, { origin, registrationId, data: JSON.stringify({ title: 'Elsewhere', url: 'https://evil.example/' }) }, 'Elsewhere');
    expect(all.find((n) => n.title === 'Elsewhere')).toMatchObject({ body: '', tag: '', data: { url: '/' } });
  });
});
