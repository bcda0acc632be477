// The zone a person reads times in. Text the server writes for someone (a
// candidate's reasons, an export's times) is in their zone, which only their
// client knows (the browser's, Intl.DateTimeFormat().resolvedOptions()): it
// sends it as `tz`.
import { invalid } from '../http/problem';
import { isValidTimeZone } from '../posts/windows';

/** `tz` when given (an IANA zone, else a 400 problem naming it), or `fallback`. */
export function readerZone(tz: string | undefined, fallback: string): string {
  if (tz === undefined) {
    return fallback;
  }
  if (!isValidTimeZone(tz)) {
    throw invalid([{ path: '/tz', message: 'must be an IANA time zone, like "America/New_York"', code: 'time_zone' }], 'query string');
  }
  return tz;
}
