// Times as a person reads them: every time the app shows is in the reader's
// zone (the browser's), whatever zone the post was written in. The API
// carries instants (ISO-8601 with offset); these turn them into text, and a
// form's local date and time back into an instant that keeps its offset.

/** The reader's IANA zone, as the browser reports it ('UTC' when it reports none). */
export function readerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Formatters are costly to build and lists show many windows: one per locale, zone and style. */
const formats = new Map<string, Intl.DateTimeFormat>();

function format(locale: string, zone: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${zone ?? ''}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, ...(zone ? { timeZone: zone } : {}) });
    formats.set(key, f);
  }
  return f;
}

const DAY_TIME: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' };

/** "Tue, Dec 8, 9:00 AM": an instant's day and time. `zone` defaults to the reader's. */
export function dayTime(iso: string, locale: string, zone?: string): string {
  return format(locale, zone, DAY_TIME).format(new Date(iso));
}

/**
 * "Tue, Dec 8, 9:00 – 11:00 AM", or "Tue, Dec 8, 10:00 PM – Wed, Dec 9, 1:00 AM"
 * when it ends on another day (Intl's formatRange writes each end only as
 * far as it differs). `zone` defaults to the reader's.
 */
export function windowText(w: { start: string; end: string }, locale: string, zone?: string): string {
  return format(locale, zone, DAY_TIME).formatRange(new Date(w.start), new Date(w.end));
}

const SPAN_DAY: Intl.DateTimeFormatOptions = { weekday: 'short', hour: 'numeric', minute: '2-digit' };
const SPAN: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' };

/** "Tue 8:00 AM – 12:00 PM", or "9:00 – 11:00 AM" without the day: a window within a week, on the reader's clock. */
export function spanText(w: { start: string; end: string }, locale: string, withDay: boolean, zone?: string): string {
  return format(locale, zone, withDay ? SPAN_DAY : SPAN).formatRange(new Date(w.start), new Date(w.end));
}

const DATE: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'numeric', day: 'numeric' };

/** Whether two instants fall on one calendar day on the reader's clock (or `zone`'s). */
export function sameDay(a: string, b: string, zone?: string): boolean {
  const f = format('en-US', zone, DATE);
  return f.format(new Date(a)) === f.format(new Date(b));
}

/** Minutes `zone` is ahead of UTC at `ms`. */
function offsetMinutes(ms: number, zone: string): number {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  const f = format('en-US', zone, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
  for (const p of f.formatToParts(new Date(ms))) {
    parts[p.type] = p.value;
  }
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The instant a wall-clock `date` ('YYYY-MM-DD') and `time` ('HH:MM') name in
 * `zone`, written with that zone's offset then: "2026-12-08T09:00:00-05:00".
 * The offset says where the post was written, so the server can speak of
 * its times in its author's zone (a "Z" time would read as UTC). A time the
 * clocks skip (spring forward) lands an hour later, as a clock would show it.
 */
export function localInstant(date: string, time: string, zone: string = readerZone()): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // The offset at a first guess, then at the instant it gives: they differ
  // only near a change, where the second is right unless the time is skipped.
  const first = offsetMinutes(wall, zone);
  let instant = wall - first * 60_000;
  const second = offsetMinutes(instant, zone);
  if (second !== first && offsetMinutes(wall - second * 60_000, zone) === second) {
    instant = wall - second * 60_000;
  }
  const offset = offsetMinutes(instant, zone);
  const local = new Date(instant + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:00` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
