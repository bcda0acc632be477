/**
 * Registers the service worker (web/public/sw.js) that lets the app open
 * offline. Production builds only: in `vite dev` a worker caching `/` and
 * `/assets/*` would serve stale modules and fight hot reload.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) {
    return;
  }
  // After load, so the worker's install (which fetches the shell again) does
  // not compete with the first paint on a slow connection.
  const register = () => {
    navigator.serviceWorker
      // updateViaCache 'none': the server lets files sit in the HTTP cache for an hour; updates should not wait for that.
      .register('/sw.js', { scope: '/', updateViaCache: 'none' })
      .catch((err: unknown) => console.warn('service worker registration failed', err));
  };
  if (document.readyState === 'complete') {
    register();
  } else {
    addEventListener('load', register, { once: true });
  }
}
