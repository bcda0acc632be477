// A weekly rule's schedule is written from remembered zone offsets, not by
// Luxon for each occurrence (issue 17): it must say exactly what Luxon says,
// in every zone, across DST changes, and the same however often it is asked.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { buildSchedule, expandRecurrence, formatInZone, horizonEnd, type Recurrence } from '../../server/posts/windows';

const ALL_DAYS: Recurrence['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
// Whole-hour, half-hour and 45-minute offsets; a 30-minute DST shift (Lord Howe); zones Luxon writes as "Z"
// ('UTC', 'GMT') and those it writes as "+00:00"; the southern hemisphere; a zone that skipped a day (Apia, 2011).
const ZONES = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
  'Pacific/Apia',
  'UTC',
  'GMT',
  'Etc/UTC',
  'Etc/GMT+5',
];
// Around spring-forward and fall-back nights in both hemispheres, and Apia's skipped day.
const STARTS = ['2026-03-01T00:00:00Z', '2026-10-01T00:00:00Z', '2011-12-20T00:00:00Z'];
// Ordinary hours, the hours clocks skip or repeat, and a window overnight.
const TIMES: [string, string][] = [
  ['17:00', '19:00'],
  ['01:30', '02:30'],
  ['02:15', '03:45'],
  ['23:00', '01:00'],
];

describe('weekly schedules, as written', () => {
  it('write each occurrence as Luxon does, in every kind of zone and across DST changes', () => {
    let compared = 0;
    for (const timezone of ZONES) {
      for (const [startTime, endTime] of TIMES) {
        for (const start of STARTS) {
          const rule: Recurrence = { days: ALL_DAYS, startTime, endTime, timezone };
          for (const w of buildSchedule([], rule, new Date(start))) {
            for (const text of [w.start, w.end]) {
              expect(text).toBe(DateTime.fromMillis(Date.parse(text), { zone: timezone }).toISO({ suppressMilliseconds: true }));
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('come out the same however often a rule is expanded', () => {
    const rule: Recurrence = { days: ['sat', 'sun'], startTime: '01:30', endTime: '03:00', timezone: 'America/New_York' };
    const range = { start: new Date('2026-10-20T00:00:00Z'), end: new Date('2026-11-20T00:00:00Z') };
    const first = expandRecurrence(rule, range);
    for (let i = 0; i < 3; i++) {
      expect(expandRecurrence(rule, range)).toEqual(first);
      expect(buildSchedule([], rule, range.start)).toEqual(buildSchedule([], rule, range.start));
    }
    // The fall-back night: 01:30 is the first one (EDT), and the window runs to 03:00 EST.
    expect(first.find((o) => o.start.toISOString().startsWith('2026-11-01'))).toEqual({
      start: new Date('2026-11-01T05:30:00Z'),
      end: new Date('2026-11-01T08:00:00Z'),
    });
  });

  it('write any instant in the reader zone as Luxon does, milliseconds and lower-case zones too', () => {
    // The candidates route writes every window of its answer this way (the reader's `tz`).
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const from = Date.parse('2011-01-01T00:00:00Z');
    const span = Date.parse('2031-01-01T00:00:00Z') - from;
    for (const zone of [...ZONES, 'america/new_york', 'Asia/Tehran']) {
      for (let i = 0; i < 500; i++) {
        // Whole minutes mostly, as windows are; some with seconds and milliseconds.
        const ms = i % 5 === 0 ? from + Math.floor(random() * span) : from + Math.floor(random() * (span / 60_000)) * 60_000;
        expect(formatInZone(ms, zone)).toBe(DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }));
        // Asked again (from the cache): the same.
        expect(formatInZone(ms, zone)).toBe(DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }));
      }
    }
  });

  it('list, at any instant, exactly the occurrences between it and its horizon (the expansion is kept for the hour)', () => {
    const rules: Recurrence[] = [
      { days: ['mon', 'wed', 'fri', 'sun'], startTime: '09:10', endTime: '11:45', timezone: 'America/New_York' },
      { days: ALL_DAYS, startTime: '23:00', endTime: '01:00', timezone: 'Europe/London' },
      { days: ['sat'], startTime: '01:30', endTime: '02:30', timezone: 'Australia/Lord_Howe', from: '2026-11-01', until: '2027-01-20' },
    ];
    const base = Date.parse('2026-10-31T20:00:00Z');
    for (const rule of rules) {
      // Every 7 minutes over three days: instants inside an hour, at its edges, and across the day's windows.
      for (let t = base; t < base + 3 * 86_400_000; t += 7 * 60_000) {
        const now = new Date(t);
        const expected = expandRecurrence(rule, { start: now, end: horizonEnd(rule, now) }).map((o) => ({
          start: DateTime.fromJSDate(o.start, { zone: rule.timezone }).toISO({ suppressMilliseconds: true }),
          end: DateTime.fromJSDate(o.end, { zone: rule.timezone }).toISO({ suppressMilliseconds: true }),
        }));
        expect(buildSchedule([], rule, now)).toEqual(expected);
      }
    }
  });
});
