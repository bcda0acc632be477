// Time windows of a post: one-off windows plus an optional weekly recurrence.
// Pure functions only — no clock, no I/O; callers pass `now`.

import { DateTime, IANAZone } from 'luxon';
// FieldError paths here are JSON pointers relative to the recurrence object, e.g. '/endTime'.

import { MAX_YEAR, MIN_YEAR, parseInstant } from '../contract/time';
import { type Weekday, WEEKDAYS } from '../contract/posts';
import { type FieldError } from '../contract/problem';
import type { StoredWindowList } from '../../db/json';


/** RFC 3339 date-time strings with an offset; see isOffsetDateTime. */
export interface Window {
  start: string;
  end: string;
}

export interface Interval {
  start: Date;
  end: Date;
}

export interface Recurrence {
  /** 1..7 distinct weekdays. */
  days: Weekday[];
  /** 'HH:MM' 24h local wall-clock time. */
  startTime: string;
  /** 'HH:MM'; earlier than startTime means the window ends the next day (overnight); equal is invalid. */
  endTime: string;
  /** IANA zone, e.g. 'America/New_York'. */
  timezone: string;
  /** 'YYYY-MM-DD' local date in `timezone`: first date an occurrence may start on (inclusive). */
  from?: string;
  /** 'YYYY-MM-DD' local date in `timezone`: last date an occurrence may start on (inclusive). */
  until?: string;
}

export const SCHEDULE_HORIZON_MS = 56 * 24 * 3600 * 1000;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

// ---------------------------------------------------------------------------
// Calendar arithmetic on plain day numbers.
//
// Local dates are handled as integer "epoch days" (days since 1970-01-01 in the
// proleptic Gregorian calendar), so "next day" and "which weekday" never touch a
// time zone and can't be skewed by DST.
// ---------------------------------------------------------------------------

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

// Howard Hinnant's days_from_civil; avoids Date.UTC, which maps years 0..99 to 1900..1999.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** 0 = Monday … 6 = Sunday, matching WEEKDAYS. 1970-01-01 was a Thursday. */
function weekdayOf(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7;
}

/** 'YYYY-MM-DD' with a year between MIN_YEAR and MAX_YEAR -> epoch day; null if invalid. */
function parseLocalDate(s: string): number | null {
  const m = typeof s === 'string' ? DATE_RE.exec(s) : null;
  if (!m) {
    return null;
  }
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < MIN_YEAR || y > MAX_YEAR || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    return null;
  }
  return daysFromCivil(y, mo, d);
}

/** Minutes since local midnight. */
function parseLocalTime(s: string): number | null {
  const m = typeof s === 'string' ? TIME_RE.exec(s) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Zone names Intl took: asking it again makes a DateTimeFormat each time (most of a rule's expansion). */
const validZones = new Set<string>();

export function isValidTimeZone(tz: string): boolean {
  // IANAZone.isValidZone asks Intl, so it accepts exactly what Intl does (including 'UTC' and
  // case variants) and rejects offsets such as '+05:00' and Luxon-only names such as 'UTC+5'.
  if (validZones.has(tz)) {
    return true;
  }
  const valid = typeof tz === 'string' && tz !== '' && IANAZone.isValidZone(tz);
  // Remembered only when valid: the names come from Intl's own list, so the set stays small.
  if (valid && validZones.size < 1000) {
    validZones.add(tz);
  }
  return valid;
}

/** Whether `s` is a real 'YYYY-MM-DD' date in the years 1900–8999. */
export function isValidLocalDate(s: string): boolean {
  return parseLocalDate(s) !== null;
}

/** Why `s` isn't accepted as a from/until date, or null if it is. */
function localDateProblem(s: string): string | null {
  if (isValidLocalDate(s)) {
    return null;
  }
  const m = typeof s === 'string' ? DATE_RE.exec(s) : null;
  const year = m ? Number(m[1]) : NaN;
  const what =
    year < MIN_YEAR || year > MAX_YEAR
      ? `a date between ${MIN_YEAR} and ${MAX_YEAR}`
      : 'a real calendar date';
  return `"${s}" is not ${what}; use YYYY-MM-DD, e.g. "2027-03-01"`;
}

export function isValidLocalTime(s: string): boolean {
  return parseLocalTime(s) !== null;
}

// ---------------------------------------------------------------------------
// Wall-clock time -> instant.
// ---------------------------------------------------------------------------

/** Offsets already asked for, by zone and instant: at most this many are kept. */
const OFFSETS_KEPT = 100_000;
const offsets = new Map<string, Map<number, number>>();
let offsetsKept = 0;

/**
 * `zone.offset(ms)` (minutes), remembered. Luxon asks Intl for each one (a
 * formatToParts, microseconds), and expanding a weekly rule asks for some
 * 400, for the same instants every time the rule is expanded (its window
 * times on the same days): a post's write expanded its rule five times
 * (issue 17's profile of bench:live). Exact: the same instant, the same answer.
 */
function offsetAt(zone: IANAZone, ms: number): number {
  let known = offsets.get(zone.name);
  if (!known) {
    known = new Map();
    offsets.set(zone.name, known);
  }
  let offset = known.get(ms);
  if (offset === undefined) {
    offset = zone.offset(ms);
    if (offsetsKept >= OFFSETS_KEPT) {
      offsets.clear();
      offsetsKept = 0;
      offsets.set(zone.name, known = new Map());
    }
    known.set(ms, offset);
    offsetsKept++;
  }
  return offset;
}

/**
 * The instant at which the wall clock in `zone` shows `localMs` (a wall-clock time encoded
 * as if it were UTC milliseconds).
 *
 *  - A time that doesn't exist (spring-forward gap) maps to the transition itself, the first
 *    instant after the gap: 02:30 on the night Berlin goes from CET to CEST becomes 03:00 CEST.
 *    This differs from Temporal's 'compatible' mode (and Luxon), which move it forward by the
 *    length of the gap (to 03:30). For windows clamping is right: a window keeps exactly the
 *    real time that exists between its wall-clock ends, so 02:30–03:30 becomes 03:00–03:30,
 *    01:30–02:30 runs from 01:30 until the jump, and 02:00–03:00 (or 02:15–02:45) is empty
 *    that night; shifting would instead push 02:30–03:30 to 03:30–03:30 and lose it entirely.
 *  - A time that exists twice (fall-back overlap) takes the EARLIER instant, i.e. the first
 *    time the clock shows it (01:30 EDT rather than 01:30 EST).
 *
 * Luxon isn't used for this because, as observed with Luxon 3.7, it resolves the overlap
 * using the offset in force at the current system time (Settings.now()) as its first guess:
 * the same rule would give the earlier instant when evaluated in summer and the later one
 * in winter.
 */
function localToInstant(zone: IANAZone, localMs: number): number {
  // Real zones never change offset twice within a couple of days, so the offsets in force
  // a day either side are the only candidates.
  const before = offsetAt(zone, localMs - DAY_MS);
  const after = offsetAt(zone, localMs + DAY_MS);
  const fits = (offsetMin: number) => offsetAt(zone, localMs - offsetMin * MINUTE_MS) === offsetMin;
  const candidates = [before, after].filter(fits).map((o) => localMs - o * MINUTE_MS);
  if (candidates.length > 0) {
    return Math.min(...candidates);
  }
  // In a gap. Read with the post-transition offset the wall time names an instant just before
  // the transition; read with the pre-transition offset, one just after it.
  const a = localMs - after * MINUTE_MS;
  const b = localMs - before * MINUTE_MS;
  return transitionBetween(zone, Math.min(a, b), Math.max(a, b));
}

/**
 * The first instant in (lo, hi] whose offset differs from the offset at `lo`, found by binary
 * search to the millisecond (so transitions off the minute, as some historical ones are, come
 * out exact). Returns `hi` if the offset doesn't change in between.
 */
function transitionBetween(zone: IANAZone, lo: number, hi: number): number {
  const initial = offsetAt(zone, lo);
  let below = Math.floor(lo);
  let atOrAfter = Math.ceil(hi);
  if (offsetAt(zone, atOrAfter) === initial) {
    return atOrAfter;
  }
  while (atOrAfter - below > 1) {
    const mid = Math.floor((below + atOrAfter) / 2);
    if (offsetAt(zone, mid) === initial) {
      below = mid;
    } else {
      atOrAfter = mid;
    }
  }
  return atOrAfter;
}

function localDayOf(zone: IANAZone, ms: number): number {
  return Math.floor((ms + offsetAt(zone, ms) * MINUTE_MS) / DAY_MS);
}

// ---------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------

/** Problems that make the rule impossible to evaluate at all. */
function structuralErrors(rule: Recurrence): FieldError[] {
  const errors: FieldError[] = [];
  if (!isValidTimeZone(rule.timezone)) {
    errors.push({
      path: '/timezone',
      message: `"${rule.timezone}" is not a known time zone; use an IANA name such as "Europe/Berlin"`,
    });
  }
  const start = parseLocalTime(rule.startTime);
  const end = parseLocalTime(rule.endTime);
  if (start === null) {
    errors.push({
      path: '/startTime',
      message: `"${rule.startTime}" is not a valid start time; use 24-hour HH:MM between 00:00 and 23:59, e.g. "09:30"`,
    });
  }
  if (end === null) {
    errors.push({
      path: '/endTime',
      message: `"${rule.endTime}" is not a valid end time; use 24-hour HH:MM between 00:00 and 23:59, e.g. "17:00"`,
    });
  }
  if (start !== null && start === end) {
    errors.push({
      path: '/endTime',
      message: `The end time must differ from the start time (both are ${rule.startTime}); an end time earlier than the start time makes the window run overnight`,
    });
  }
  for (const key of ['from', 'until'] as const) {
    const value = rule[key];
    const problem = value === undefined ? null : localDateProblem(value);
    if (problem !== null) {
      errors.push({ path: `/${key}`, message: problem });
    }
  }
  return errors;
}

export function validateRecurrence(rule: Recurrence): FieldError[] {
  const structural = structuralErrors(rule);
  const errors = [...structural];

  if (rule.days.length === 0) {
    errors.push({ path: '/days', message: 'Pick at least one day of the week' });
  }
  const seen = new Set<Weekday>();
  rule.days.forEach((day, i) => {
    if (seen.has(day)) {
      errors.push({ path: `/days/${i}`, message: `${DAY_NAMES[day]} is listed more than once` });
    }
    seen.add(day);
  });

  const fromDay = rule.from === undefined ? null : parseLocalDate(rule.from);
  const untilDay = rule.until === undefined ? null : parseLocalDate(rule.until);
  if (fromDay !== null && untilDay !== null) {
    if (untilDay < fromDay) {
      errors.push({
        path: '/until',
        message: `The last date (${rule.until}) is before the first date (${rule.from})`,
      });
    } else if (untilDay - fromDay < 6 && rule.days.length > 0) {
      // Spans of a week or more contain every weekday, so only short spans can be empty.
      const wanted = new Set(rule.days.map((d) => WEEKDAYS.indexOf(d)));
      const matching: number[] = [];
      for (let d = fromDay; d <= untilDay; d++) {
        if (wanted.has(weekdayOf(d))) {
          matching.push(d);
        }
      }
      const dayList = [...seen].map((d) => DAY_NAMES[d]).join(', ');
      if (matching.length === 0) {
        errors.push({
          path: '/days',
          message: `None of the chosen days (${dayList}) falls between ${rule.from} and ${rule.until}, so this schedule would never happen; add a day or widen the dates`,
        });
      } else if (structural.length === 0) {
        const compiled = compile(rule);
        if (matching.every((d) => occurrenceOn(compiled, d) === null)) {
          errors.push({
            path: '/startTime',
            message: `Between ${rule.from} and ${rule.until} this window falls entirely in the hour skipped when clocks go forward, so it would never happen; change the times or widen the dates`,
          });
        }
      }
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------
// Expansion.
// ---------------------------------------------------------------------------

interface CompiledRule {
  zone: IANAZone;
  weekdays: Set<number>;
  startMin: number;
  endMin: number;
  fromDay: number | null;
  untilDay: number | null;
}

function compile(rule: Recurrence): CompiledRule {
  const errors = structuralErrors(rule);
  const startMin = parseLocalTime(rule.startTime);
  const endMin = parseLocalTime(rule.endTime);
  if (errors.length > 0 || startMin === null || endMin === null) {
    // Stored rules are validated on write, so reaching this is a programming error.
    throw new RangeError(`Invalid recurrence: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  return {
    zone: IANAZone.create(rule.timezone),
    weekdays: new Set(rule.days.map((d) => WEEKDAYS.indexOf(d))),
    startMin,
    endMin,
    fromDay: rule.from === undefined ? null : parseLocalDate(rule.from),
    untilDay: rule.until === undefined ? null : parseLocalDate(rule.until),
  };
}

/**
 * The occurrence starting on local date `day` (ignoring weekday and from/until), or null when
 * the whole window lies in a spring-forward gap (e.g. 02:00–03:00 or 02:15–02:45 on that
 * night): both ends then resolve to the transition, leaving nothing of the window. A window
 * reaching into the gap keeps the part that exists (see localToInstant).
 */
function occurrenceOn(rule: CompiledRule, day: number): { start: number; end: number } | null {
  const endDay = rule.endMin < rule.startMin ? day + 1 : day;
  const start = localToInstant(rule.zone, day * DAY_MS + rule.startMin * MINUTE_MS);
  const end = localToInstant(rule.zone, endDay * DAY_MS + rule.endMin * MINUTE_MS);
  return end > start ? { start, end } : null;
}

function occurs(rule: CompiledRule, day: number): boolean {
  return (
    rule.weekdays.has(weekdayOf(day)) &&
    (rule.fromDay === null || day >= rule.fromDay) &&
    (rule.untilDay === null || day <= rule.untilDay)
  );
}

/**
 * The concrete windows of `rule` that end after `range.start` and start before `range.end`,
 * sorted by start. Wall-clock times stay fixed in rule.timezone across DST changes; see
 * localToInstant for how non-existent and repeated local times are resolved. An occurrence
 * belongs to the local date it starts on, which is what from/until bound.
 *
 * Throws RangeError if the rule has an unknown zone or malformed times/dates.
 */
export function expandRecurrence(rule: Recurrence, range: Interval): Interval[] {
  const compiled = compile(rule);
  const fromMs = range.start.getTime();
  const toMs = range.end.getTime();
  if (!(fromMs < toMs)) {
    return [];
  }

  // An overnight window that started the previous local day (longer still across a DST
  // change) can still be running at range.start, hence the margin on both sides.
  let first = localDayOf(compiled.zone, fromMs) - 2;
  let last = localDayOf(compiled.zone, toMs) + 1;
  if (compiled.fromDay !== null) {
    first = Math.max(first, compiled.fromDay);
  }
  if (compiled.untilDay !== null) {
    last = Math.min(last, compiled.untilDay);
  }

  const result: Interval[] = [];
  for (let day = first; day <= last; day++) {
    if (!occurs(compiled, day)) {
      continue;
    }
    const occ = occurrenceOn(compiled, day);
    if (occ && occ.end > fromMs && occ.start < toMs) {
      result.push({ start: new Date(occ.start), end: new Date(occ.end) });
    }
  }
  return result.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * Where the schedule horizon ends: 8 weeks after now, or after the start of rule.from's
 * day when that is later (so a rule starting next month still shows 8 weeks of windows).
 */
export function horizonEnd(rule: Recurrence | null | undefined, now: Date): Date {
  let base = now.getTime();
  if (rule?.from !== undefined && isValidTimeZone(rule.timezone)) {
    const fromDay = parseLocalDate(rule.from);
    if (fromDay !== null) {
      base = Math.max(base, localToInstant(IANAZone.create(rule.timezone), fromDay * DAY_MS));
    }
  }
  return new Date(base + SCHEDULE_HORIZON_MS);
}

/** The instant the rule's `from` day begins in its zone; null without `from`. */
export function ruleStart(rule: Recurrence): Date | null {
  const fromDay = rule.from !== undefined ? parseLocalDate(rule.from) : null;
  return fromDay !== null && isValidTimeZone(rule.timezone)
    ? new Date(localToInstant(IANAZone.create(rule.timezone), fromDay * DAY_MS))
    : null;
}

/**
 * `ms` as an RFC 3339 date-time on the wall clock of `zone`, as Luxon's
 * `toISO({ suppressMilliseconds: true })` writes it ("2026-12-03T17:00:00-05:00"),
 * from the remembered offset: building a Luxon DateTime for each occurrence
 * was most of a weekly post's schedule (issue 17). Luxon still writes the
 * rare cases it spells otherwise: a zone it takes for UTC ("Z"), an offset
 * of seconds, a year of other than four digits.
 */
export function formatInZone(ms: number, zone: string): string {
  let known = formatted.get(zone);
  if (!known) {
    known = new Map();
    formatted.set(zone, known);
  }
  let text = known.get(ms);
  if (text === undefined) {
    text = formatAnew(ms, zone);
    if (formattedKept >= OFFSETS_KEPT) {
      formatted.clear();
      formattedKept = 0;
      formatted.set(zone, (known = new Map()));
    }
    known.set(ms, text);
    formattedKept++;
  }
  return text;
}

/** Instants already written, by zone: the same rule's occurrences are written for every post and every read. */
const formatted = new Map<string, Map<number, string>>();
let formattedKept = 0;

const pad2 = (n: number) => String(n).padStart(2, '0');

function formatAnew(ms: number, zone: string): string {
  const lowered = zone.toLowerCase();
  if (lowered !== 'utc' && lowered !== 'gmt') {
    const offset = offsetAt(IANAZone.create(zone), ms);
    const local = new Date(ms + offset * MINUTE_MS);
    const year = local.getUTCFullYear();
    if (Number.isInteger(offset) && year >= 1000 && year <= 9999) {
      const text = local.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, of the wall clock
      const abs = Math.abs(offset);
      const millis = local.getUTCMilliseconds() === 0 ? '' : text.slice(19, 23);
      return `${text.slice(0, 19)}${millis}${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
    }
  }
  return formatWithLuxon(ms, zone);
}

/**
 * `cache[key]`, made by `make` when missing and kept; the map is emptied
 * when it holds `limit` (the keys in use come back at once). What `make`
 * throws is not kept.
 */
function remembered<V>(cache: Map<string, V>, limit: number, key: string, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= limit) {
      cache.clear();
    }
    cache.set(key, value);
  }
  return value;
}

/** Instants of one-off windows already read (parseInstant asks Luxon), by their text. */
const instants = new Map<string, number>();

/** parseInstant, remembered: a post's windows are read for every view of it. */
function instantOf(text: string): number {
  return remembered(instants, OFFSETS_KEPT, text, () => parseInstant(text));
}

function formatWithLuxon(ms: number, zone: string): string {
  const iso = DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true });
  if (iso === null) {
    throw new RangeError(`Cannot format ${ms} in ${zone}`);
  }
  return iso;
}

const HOUR_MS = 3_600_000;

interface Occurrence {
  start: number;
  end: number;
  text: Window;
}

/**
 * Rules already expanded, by the hour and the rule: every read of a weekly
 * post expands its rule again. At most 5,000 (cleared when full): a daily
 * rule's 8 weeks are ~56 small objects (~5 KB; the texts are the shared
 * strings of `formatted`), so at most ~25 MB.
 */
const expanded = new Map<string, Occurrence[]>();
const EXPANSIONS_KEPT = 5_000;

/**
 * Every occurrence of `rule` that a schedule built at any instant of the hour
 * `nowMs` falls in could list: from the hour's start to the horizon of its
 * end, written in the rule's zone. Remembered for that hour; the caller
 * keeps those that end after now and start before now's horizon.
 */
function occurrencesAround(rule: Recurrence, nowMs: number): Occurrence[] {
  const hour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  return remembered(expanded, EXPANSIONS_KEPT, `${hour}|${JSON.stringify(rule)}`, () =>
    expandRecurrence(rule, { start: new Date(hour), end: horizonEnd(rule, new Date(hour + HOUR_MS)) }).map((occ) => {
      const start = occ.start.getTime();
      const end = occ.end.getTime();
      return { start, end, text: { start: formatInZone(start, rule.timezone), end: formatInZone(end, rule.timezone) } };
    }),
  );
}

/**
 * Of a post's stored windows (posts.stored_windows: its post_windows as
 * `[startEpochS, endEpochS, recurring]`, in order), those in its schedule at
 * `now`, as `[startEpochS, endEpochS]`: not over, and for an occurrence of
 * the rule, starting before the horizon's end (max(now, `recurrenceFromAt`,
 * the start of the rule's `from` day) + 8 weeks). The set buildSchedule
 * gives; posts/repository.ts upcomingWindow is the same test in SQL.
 */
export function upcomingStored(stored: StoredWindowList, recurrenceFromAt: Date | null, now: Date): [number, number][] {
  const nowS = now.getTime() / 1000;
  const horizonEndS = Math.max(nowS, recurrenceFromAt ? recurrenceFromAt.getTime() / 1000 : nowS) + SCHEDULE_HORIZON_MS / 1000;
  const upcoming: [number, number][] = [];
  for (const [start, end, recurring] of stored) {
    if (end > nowS && (!recurring || start < horizonEndS)) {
      upcoming.push([start, end]);
    }
  }
  return upcoming;
}

/**
 * The post's upcoming windows: one-offs that haven't ended (returned as given, however far
 * ahead) plus the recurrence expanded up to horizonEnd, formatted in the rule's zone.
 * Sorted by start then end; windows with identical instants appear once, the one-off
 * version winning. Throws RangeError on a one-off without a parseable offset date-time.
 */
export function buildSchedule(
  windows: Window[],
  rule: Recurrence | null | undefined,
  now: Date,
): Window[] {
  const nowMs = now.getTime();
  const items: { start: number; end: number; window: Window }[] = [];

  for (const w of windows) {
    const end = instantOf(w.end);
    if (end > nowMs) {
      items.push({ start: instantOf(w.start), end, window: { start: w.start, end: w.end } });
    }
  }
  if (rule) {
    const to = horizonEnd(rule, now).getTime();
    for (const occ of occurrencesAround(rule, nowMs)) {
      // The same set expandRecurrence(rule, { start: now, end: to }) gives.
      if (occ.end > nowMs && occ.start < to) {
        items.push({ start: occ.start, end: occ.end, window: { start: occ.text.start, end: occ.text.end } });
      }
    }
  }

  // Array#sort is stable, so one-offs (pushed first) win over equal recurrence windows.
  items.sort((a, b) => a.start - b.start || a.end - b.end);
  const result: Window[] = [];
  let prev: { start: number; end: number } | undefined;
  for (const item of items) {
    if (prev && prev.start === item.start && prev.end === item.end) {
      continue;
    }
    result.push(item.window);
    prev = item;
  }
  return result;
}

/** The rule's final occurrence, found by walking back from `until` rather than expanding. */
function lastOccurrence(rule: CompiledRule): { start: number; end: number } | null {
  if (rule.untilDay === null) {
    return null;
  }
  // A week back from `until` always reaches every listed weekday; the second week only
  // matters when that day's window vanished into a spring-forward gap.
  for (let day = rule.untilDay; day > rule.untilDay - 14; day--) {
    if (!occurs(rule, day)) {
      continue;
    }
    const occ = occurrenceOn(rule, day);
    if (occ) {
      return occ;
    }
  }
  return null;
}

/**
 * When the schedule runs out for good: the latest end among one-offs and the rule's last
 * occurrence. A rule without `until` never runs out, so the answer is then null whatever
 * the one-offs say; with nothing at all it is null too.
 */
export function lastWindowEnd(windows: Window[], rule: Recurrence | null | undefined): Date | null {
  let latest: number | null = null;
  for (const w of windows) {
    const end = instantOf(w.end);
    latest = latest === null ? end : Math.max(latest, end);
  }

  if (rule) {
    if (rule.until === undefined) {
      return null;
    }
    const last = lastOccurrence(compile(rule));
    if (last) {
      latest = latest === null ? last.end : Math.max(latest, last.end);
    }
  }
  return latest === null ? null : new Date(latest);
}
