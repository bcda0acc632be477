// Instants as the API writes them: RFC 3339 date-times that carry their own
// offset, in a range every layer can hold. The 'date-time' format of every
// schema (plugins/validation.ts) and the schedule code (posts/windows.ts)
// both read them here.
import { DateTime } from 'luxon';

// Window strings must carry their own offset: without one, parsing would depend on the server's zone.
// Strict RFC 3339 (seconds optional): 'T' and 'Z' in upper case, offsets as ±HH:MM up to ±23:59.
// Whether the date exists (no 02-30) is left to Luxon.
const ISO_WITH_OFFSET_RE =
  /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

// Dates and instants are kept to a sane range: PostgreSQL's timestamptz can't hold years past
// 294276 or before 4713 BC, and year 10000 no longer serialises as a 4-digit ISO year.
export const MIN_YEAR = 1900;
export const MAX_YEAR = 8999;
/** Instants accepted in window strings: [MIN_INSTANT_MS, END_INSTANT_MS). */
const MIN_INSTANT_MS = Date.UTC(MIN_YEAR, 0, 1);
const END_INSTANT_MS = Date.UTC(MAX_YEAR + 1, 0, 1);

/** Milliseconds since the epoch of a window string; RangeError unless isOffsetDateTime. */
export function parseInstant(iso: string): number {
  const ms =
    typeof iso === 'string' && ISO_WITH_OFFSET_RE.test(iso)
      ? DateTime.fromISO(iso, { setZone: true }).toMillis()
      : NaN;
  if (!(ms >= MIN_INSTANT_MS && ms < END_INSTANT_MS)) {
    throw new RangeError(
      `"${iso}" is not an RFC 3339 date-time with an offset between ${MIN_YEAR}-01-01T00:00:00Z and ${MAX_YEAR + 1}-01-01T00:00:00Z`,
    );
  }
  return ms;
}

/**
 * Whether `s` is what window strings must be: an RFC 3339 date-time with an offset,
 * 'YYYY-MM-DDTHH:MM[:SS[.fraction]]' then 'Z' or '±HH:MM' ('T' and 'Z' upper case), naming a
 * real instant from 1900-01-01T00:00:00Z (inclusive) to 9000-01-01T00:00:00Z (exclusive).
 */
export function isOffsetDateTime(s: string): boolean {
  try {
    parseInstant(s);
    return true;
  } catch {
    return false;
  }
}

