// Aidmap service worker: lets the installed app open on a flaky or absent
// connection. Plain JS, served as-is from web/public (no build step).
/* global self, caches, fetch, Request, Response, URL, setTimeout */ // worker globals, for `eslint .`

// Bump when this file's caching rules or the icons change: a new name makes
// the browser install afresh and `activate` drops the old cache. New app
// builds need no bump, since the shell refreshes itself (see storeShell).
const CACHE = 'aidmap-v1';

// Not needed to open the app, so a missing one must not fail the install.
const EXTRAS = [
  '/manifest.webmanifest',
  '/icons/icon.svg',
  '/icons/icon-maskable.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/icons/apple-touch-icon.png',
];

// On lie-fi a request can hang far longer than a real offline fails; past
// this, a cached copy beats a spinner.
const TIMEOUT_MS = 4000;

// Vite hashes asset names, so the only list of them is the built index.html.
function assetsIn(html) {
  return [...new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]))];
}

// The shell is swapped only after all its assets are cached, so the cached
// `/` never points at files we do not have (a blank page offline). The
// previous shell's entry files go, so the cache does not grow per deploy.
async function storeShell(response) {
  if (!response.ok || response.redirected || !(response.headers.get('content-type') || '').includes('text/html')) {
    return;
  }
  const cache = await caches.open(CACHE);
  const assets = assetsIn(await response.clone().text());
  const missing = [];
  for (const url of assets) {
    if (!(await cache.match(url))) missing.push(url);
  }
  await cache.addAll(missing);
  const old = await cache.match('/');
  await cache.put('/', response);
  if (old) {
    for (const url of assetsIn(await old.text())) {
      if (!assets.includes(url)) await cache.delete(url);
    }
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // no-cache: the server lets index.html sit in the HTTP cache for an hour.
      await storeShell(await fetch('/', { cache: 'no-cache' }));
      const cache = await caches.open(CACHE);
      await Promise.all(EXTRAS.map((url) => cache.add(new Request(url, { cache: 'no-cache' })).catch(() => {})));
      // Take over at once rather than after every old tab closes.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('aidmap-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

// Answers from the network, or from `cacheKey` if the network fails, times
// out, or the server is broken (5xx), when a cached copy exists. `save` sees
// every network response, also one that arrives after the timeout, so the
// cache stays fresh for next time.
function networkFirst(event, cacheKey, save) {
  let saving;
  const network = fetch(event.request).then((response) => {
    saving = save(response);
    return response;
  });
  event.waitUntil(network.then(() => saving, () => {}).catch(() => {}));
  event.respondWith(
    (async () => {
      const timedOut = new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS, null));
      const response = await Promise.race([network.catch(() => null), timedOut]);
      if (response && response.status < 500) return response;
      return (await caches.match(cacheKey)) || response || network;
    })(),
  );
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // Tiles and other cross-origin requests: left to the browser's HTTP cache.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;

  if (url.pathname === '/api/config') {
    // The map still needs its tile server and center when offline.
    return networkFirst(event, '/api/config', (response) => {
      if (!response.ok) return;
      const copy = response.clone(); // now, before the page reads the body
      return caches.open(CACHE).then((cache) => cache.put('/api/config', copy));
    });
  }
  // Live data must never be stale or replayed. The few answers needed offline
  // the app keeps itself, per signed-in person, and says how old they are
  // (web/src/state/offline.svelte.ts).
  if (url.pathname === '/api' || url.pathname.startsWith('/api/') || url.pathname === '/ws') return;

  if (request.mode === 'navigate') {
    // Every app route gets the same index.html, so `/` serves deep links too.
    // Only `/` refreshes the shell: it is the start_url, and other paths
    // could answer something that is not the app.
    return networkFirst(event, '/', (response) =>
      url.pathname === '/' ? storeShell(response.clone()) : undefined,
    );
  }

  if (url.pathname.startsWith('/assets/')) {
    // Hashed names never change content: cache first, keep what we fetch.
    event.respondWith(
      (async () => {
        const cached = await caches.match(request);
        if (cached) return cached;
        const response = await fetch(request);
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })(),
    );
    return;
  }

  if (EXTRAS.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname).then((r) => r || Response.error())));
  }
});

// ---- Web Push: the server's notifications while no Aidmap page is open ----
// The message is JSON, { title, body, url, tag } (PushMessage in
// server/contract/push.ts). Something is shown for every push: Chrome
// subscribes with userVisibleOnly and shows its own notice for a push that
// shows nothing.

// Only a path of this app: a message must not send a click anywhere else.
function appPath(url) {
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') ? url : '/';
}

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = (event.data && event.data.json()) || {};
  } catch {
    // Not JSON: shown as "Aidmap" with no text, which still opens the app.
  }
  const tag = typeof message.tag === 'string' && message.tag ? message.tag : undefined;
  event.waitUntil(
    self.registration
      .showNotification(typeof message.title === 'string' && message.title ? message.title : 'Aidmap', {
        body: typeof message.body === 'string' ? message.body : '',
        icon: '/icons/icon-192.png',
        // A newer message about the same match or post replaces the older one, and still alerts.
        ...(tag ? { tag, renotify: true } : {}),
        data: { url: appPath(message.url) },
      })
      // Measured, not explained: in headless Chromium 156 about one push in
      // four (test/e2e/push.test.ts) ended with no notification listed when
      // the event ended as showNotification resolved; holding the event until
      // the notifications are read back made every run show it.
      .then(() => self.registration.getNotifications()),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(appPath(event.notification.data && event.notification.data.url), self.location.origin).href;
  event.waitUntil(
    (async () => {
      // The tabs this worker controls (only those can be navigated): the focused one first.
      const tabs = await self.clients.matchAll({ type: 'window' });
      const tab = tabs.find((c) => c.focused) || tabs[0];
      if (tab) {
        try {
          const focused = await tab.focus();
          await focused.navigate(target);
          return;
        } catch {
          // Focus or navigation refused (the tab is closing, say): a new window instead.
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
