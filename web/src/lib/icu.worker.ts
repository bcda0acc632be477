// Loads the browser's calendar and number data on a thread of its own. The
// first Intl formatter a page makes reads that data (110–225 ms in Chromium
// here at Lighthouse's four times slower CPU, 3.5–5 ms after a worker), and
// the data is the process's, not the thread's: made here first, the map
// page's first formatter costs the main thread a few milliseconds.
// icu.ts starts it with the app's language; it ends when done.

/** The formats the first screen writes: the list's windows, its counts. */
self.onmessage = (event: MessageEvent<string>) => {
  const locale = event.data;
  const day = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
  day.formatRange(0, 7_200_000);
  new Intl.NumberFormat(locale).format(1234.5);
  self.close();
};
