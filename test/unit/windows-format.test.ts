// A weekly rule's schedule is written from remembered zone offsets, not by
// Luxon for each occurrence (issue 17): it must say exactly what Luxon says,
// in every zone, across DST changes, and the same however often it is asked.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { buildSchedule, expandRecurrence, type Recurrence } from '../../server/posts/windows';

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
});
