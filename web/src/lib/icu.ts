// The browser's locale data, loaded ahead of need by a worker.

/**
 * Has the browser's calendar and number data loaded ahead of need, off the
 * main thread: the first formatter a page makes reads it, a long task on a
 * slow phone (~200 ms at Lighthouse's 4× slower CPU), and once a worker has
 * read it the main thread's first formatter takes a few milliseconds
 * (icu.worker.ts). Where no worker can start (an old browser, a script
 * refused offline), the first list of times pays as before.
 */
export function warmIntl(locale: string): void {
  try {
    const worker = new Worker(new URL('./icu.worker.ts', import.meta.url));
    worker.onerror = () => worker.terminate();
    worker.postMessage(locale);
  } catch {
    // no worker here: nothing is lost but the head start
  }
}
