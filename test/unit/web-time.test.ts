import { describe, expect, it } from 'vitest';
import { dayTime, localInstant, windowText } from '../../web/src/lib/time';
import { wallTime } from '../../server/communities/exports';

// Intl's spaces vary by ICU version and locale (U+202F, U+2009, none around a range's dash): compared as plain.
const plain = (s: string) => s.replace(/[\u2009\u202f]/g, ' ').replace(/\s*–\s*/g, ' – ');

describe('times in the reader’s zone (web/src/lib/time.ts)', () => {
  const w = { start: '2026-12-08T14:00:00Z', end: '2026-12-08T16:00:00Z' };

  it('one window, read in New York and in Madrid', () => {
    expect(plain(windowText(w, 'en-US', 'America/New_York'))).toBe('Tue, Dec 8, 9:00 – 11:00 AM');
    expect(plain(windowText(w, 'es', 'Europe/Madrid'))).toBe('mar, 8 dic, 15:00 – 17:00');
    expect(plain(dayTime(w.start, 'en-US', 'Europe/Madrid'))).toBe('Tue, Dec 8, 3:00 PM');
  });

  it('a window past midnight names the day it ends on', () => {
    const late = { start: '2026-12-09T03:00:00Z', end: '2026-12-09T06:00:00Z' };
    expect(plain(windowText(late, 'en-US', 'America/New_York'))).toBe('Tue, Dec 8, 10:00 PM – Wed, Dec 9, 1:00 AM');
  });

  it('a form’s local date and time as an instant with the zone’s offset then', () => {
    expect(localInstant('2026-12-08', '09:00', 'America/New_York')).toBe('2026-12-08T09:00:00-05:00');
    expect(localInstant('2026-07-07', '09:00', 'America/New_York')).toBe('2026-07-07T09:00:00-04:00');
    expect(localInstant('2026-12-08', '09:00', 'Asia/Kolkata')).toBe('2026-12-08T09:00:00+05:30');
    expect(localInstant('2026-12-08', '09:00', 'UTC')).toBe('2026-12-08T09:00:00+00:00');
    // The day the clocks change: before and after the change, each with its own offset.
    expect(localInstant('2026-03-08', '01:30', 'America/New_York')).toBe('2026-03-08T01:30:00-05:00');
    expect(localInstant('2026-03-08', '09:00', 'America/New_York')).toBe('2026-03-08T09:00:00-04:00');
    // 02:30 does not happen that night: an hour later, as the clock shows it.
    expect(localInstant('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
    // 01:30 happens twice when they go back: the first.
    expect(localInstant('2026-11-01', '01:30', 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
    expect(localInstant('2026-11-01', '09:00', 'America/New_York')).toBe('2026-11-01T09:00:00-05:00');
  });
});

describe('export times (server/communities/exports.ts)', () => {
  it('an instant on the wall clock of a zone', () => {
    expect(wallTime('2026-12-08T14:00:00.000Z', 'America/New_York')).toBe('2026-12-08 09:00');
    expect(wallTime('2026-12-08T14:00:00.000Z', 'Europe/Madrid')).toBe('2026-12-08 15:00');
    expect(wallTime(null, 'UTC')).toBeNull();
  });
});
