import { describe, it, expect, afterEach } from 'vitest';
import { DateTime, Settings } from 'luxon';
import { SCHEDULE_HORIZON_MS, isValidTimeZone, isValidLocalDate, isValidLocalTime, validateRecurrence, expandRecurrence, horizonEnd, buildSchedule, lastWindowEnd, ruleStart, upcomingStored } from '../../server/posts/windows';
import { type Recurrence, type Window, type Interval } from '../../server/posts/windows';
import { WEEKDAYS } from '../../server/contract/posts';
import { isOffsetDateTime } from '../../server/contract/time';

const at = (iso: string) => new Date(iso);
const range = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const isoUtc = (intervals: Interval[]) =>
  intervals.map((i) => [i.start.toISOString(), i.end.toISOString()]);
const localTime = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd HH:mm');

function rule(overrides: Partial<Recurrence> = {}): Recurrence {
  return { days: ['mon'], startTime: '09:00', endTime: '10:00', timezone: 'UTC', ...overrides };
}

describe('isValidTimeZone', () => {
  it.each(['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe'])(
    'accepts %s',
    (tz) => expect(isValidTimeZone(tz)).toBe(true),
  );
  it.each(['', 'Mars/Olympus', '+05:00', '-0300', 'UTC+5', 'Z', 'America/New York', 'local'])(
    'rejects %j',
    (tz) => expect(isValidTimeZone(tz)).toBe(false),
  );
});

describe('isValidLocalDate', () => {
  it.each(['2028-02-29', '2000-02-29', '2027-12-31', '2027-01-01', '2027-04-30', '1900-01-01', '8999-12-31'])(
    'accepts %s',
    (s) => expect(isValidLocalDate(s)).toBe(true),
  );
  it.each([
    '2027-02-29', // not a leap year
    '2027-02-30',
    '2100-02-29', // century, not divisible by 400
    '2027-04-31',
    '2027-13-01',
    '2027-00-10',
    '2027-01-00',
    '0000-01-01',
    '1899-12-31', // before 1900
    '9999-12-31', // after 8999
    '9000-01-01',
    '2027-1-01',
    '27-01-01',
    '2027-01-01T00:00',
    ' 2027-01-01',
    '2027/01/01',
    '',
  ])('rejects %j', (s) => expect(isValidLocalDate(s)).toBe(false));
});

describe('isValidLocalTime', () => {
  it.each(['00:00', '23:59', '09:30', '12:00'])('accepts %s', (s) => expect(isValidLocalTime(s)).toBe(true));
  it.each(['24:00', '23:60', '9:30', '09:5', '09:30:00', '', 'ab:cd', ' 09:30', '-1:00', '0930'])(
    'rejects %j',
    (s) => expect(isValidLocalTime(s)).toBe(false),
  );
});

describe('isOffsetDateTime', () => {
  it.each([
    '2027-03-01T09:30:00+01:00',
    '2027-03-01T09:30+01:00', // seconds are optional
    '2027-03-01T09:30:00Z',
    '2027-03-01T09:30:00.5Z',
    '2027-03-01T09:30:00.123456789-05:00',
    '2027-03-01T23:59:59+23:59',
    '2027-03-01T00:00:00-23:59',
    '2027-03-01T09:30:00-00:00',
    '2028-02-29T12:00:00Z',
    '1900-01-01T00:00:00Z', // lower bound, inclusive
    '1900-01-01T01:00:00+01:00',
    '8999-12-31T23:59:59.999Z',
    '8999-12-31T18:59:59-05:00', // 8999-12-31T23:59:59Z
    '9000-01-01T00:30:00+01:00', // 8999-12-31T23:30:00Z: the instant counts, not the local year
  ])('accepts %s', (s) => expect(isOffsetDateTime(s)).toBe(true));

  it.each([
    '2027-03-01T09:30:00+0100', // offset without colon
    '2027-03-01T09:30:00+01',
    '2027-03-01t09:30:00Z', // lowercase t
    '2027-03-01T09:30:00z', // lowercase z
    '2027-03-01 09:30:00Z', // space instead of T
    '2027-03-01T09:30:00', // no offset
    '2027-03-01T09:30:00+24:00', // offset beyond ±23:59
    '2027-03-01T09:30:00-24:00',
    '2027-03-01T09:30:00+01:60',
    '2027-03-01T24:00:00Z',
    '2027-03-01T09:60:00Z',
    '2027-03-01T09:30:60Z',
    '2027-03-01T09:30:00.Z',
    '2027-03-01T9:30:00Z',
    '2027-02-30T09:30:00Z', // no such day
    '2027-13-01T09:30:00Z',
    '2027-03-01',
    '20270301T093000Z',
    ' 2027-03-01T09:30:00Z',
    '2027-03-01T09:30:00Z ',
    '',
    '1899-12-31T23:59:59Z', // before 1900
    '1900-01-01T00:30:00+01:00', // 1899-12-31T23:30:00Z
    '9000-01-01T00:00:00Z', // upper bound, exclusive
    '8999-12-31T20:00:00-05:00', // 9000-01-01T01:00:00Z
    '9999-12-31T20:00:00-05:00',
    '0000-01-01T00:00:00Z',
  ])('rejects %j', (s) => expect(isOffsetDateTime(s)).toBe(false));
});

describe('validateRecurrence', () => {
  it('accepts a sound rule', () => {
    expect(
      validateRecurrence(
        rule({ days: ['mon', 'wed'], timezone: 'Europe/Berlin', from: '2027-01-01', until: '2027-06-30' }),
      ),
    ).toEqual([]);
  });

  it('accepts an overnight rule', () => {
    expect(validateRecurrence(rule({ startTime: '22:00', endTime: '02:00' }))).toEqual([]);
  });

  it('reports an unknown time zone with a hint', () => {
    const errors = validateRecurrence(rule({ timezone: 'Mars/Olympus' }));
    expect(errors).toEqual([
      {
        path: '/timezone',
        message: '"Mars/Olympus" is not a known time zone; use an IANA name such as "Europe/Berlin"',
      },
    ]);
  });

  it('reports malformed start and end times', () => {
    const errors = validateRecurrence(rule({ startTime: '25:00', endTime: '9:5' }));
    expect(errors.map((e) => e.path)).toEqual(['/startTime', '/endTime']);
    expect(errors[0]?.message).toContain('"25:00"');
    expect(errors[0]?.message).toContain('HH:MM');
  });

  it('reports equal start and end times', () => {
    const errors = validateRecurrence(rule({ startTime: '09:00', endTime: '09:00' }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('/endTime');
    expect(errors[0]?.message).toMatch(/overnight/);
  });

  it('reports impossible from/until dates', () => {
    const errors = validateRecurrence(rule({ from: '2027-02-30', until: 'next week' }));
    expect(errors).toEqual([
      { path: '/from', message: '"2027-02-30" is not a real calendar date; use YYYY-MM-DD, e.g. "2027-03-01"' },
      { path: '/until', message: '"next week" is not a real calendar date; use YYYY-MM-DD, e.g. "2027-03-01"' },
    ]);
  });

  it('reports from/until dates outside the years 1900–8999', () => {
    expect(validateRecurrence(rule({ from: '1899-12-31', until: '9999-12-31' }))).toEqual([
      { path: '/from', message: '"1899-12-31" is not a date between 1900 and 8999; use YYYY-MM-DD, e.g. "2027-03-01"' },
      { path: '/until', message: '"9999-12-31" is not a date between 1900 and 8999; use YYYY-MM-DD, e.g. "2027-03-01"' },
    ]);
    expect(validateRecurrence(rule({ from: '0000-01-01' }))).toEqual([
      { path: '/from', message: '"0000-01-01" is not a date between 1900 and 8999; use YYYY-MM-DD, e.g. "2027-03-01"' },
    ]);
  });

  it('accepts from/until at the ends of the allowed years', () => {
    expect(validateRecurrence(rule({ from: '1900-01-01', until: '8999-12-31' }))).toEqual([]);
  });

  it('reports until before from', () => {
    const errors = validateRecurrence(rule({ from: '2027-03-10', until: '2027-03-09' }));
    expect(errors).toEqual([
      { path: '/until', message: 'The last date (2027-03-09) is before the first date (2027-03-10)' },
    ]);
  });

  it('reports duplicate days at the repeated entry', () => {
    const errors = validateRecurrence(rule({ days: ['mon', 'wed', 'mon'] }));
    expect(errors).toEqual([{ path: '/days/2', message: 'Monday is listed more than once' }]);
  });

  it('reports a rule whose dates contain none of its weekdays', () => {
    // 2027-03-02 is a Tuesday, 2027-03-04 a Thursday.
    const errors = validateRecurrence(
      rule({ days: ['mon', 'fri', 'sat', 'sun'], from: '2027-03-02', until: '2027-03-04' }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('/days');
    expect(errors[0]?.message).toMatch(/never happen/);
    expect(errors[0]?.message).toContain('Monday, Friday, Saturday, Sunday');
  });

  it('accepts short spans that do contain a listed weekday (bounds inclusive)', () => {
    expect(validateRecurrence(rule({ days: ['thu'], from: '2027-03-02', until: '2027-03-04' }))).toEqual([]);
    expect(validateRecurrence(rule({ days: ['tue'], from: '2027-03-02', until: '2027-03-02' }))).toEqual([]);
  });

  it('never flags a span of a week or more', () => {
    expect(validateRecurrence(rule({ days: ['sun'], from: '2027-03-01', until: '2027-03-07' }))).toEqual([]);
  });

  it.each([
    ['America/New_York', '2027-03-14', '02:00', '03:00'],
    ['America/New_York', '2027-03-14', '02:15', '02:45'],
    ['Europe/Berlin', '2027-03-28', '02:00', '03:00'],
    ['Europe/Berlin', '2027-03-28', '02:15', '02:45'],
  ])('reports a rule whose only occurrence falls entirely in a spring-forward gap (%s %s %s–%s)', (timezone, date, startTime, endTime) => {
    const errors = validateRecurrence(rule({ days: ['sun'], startTime, endTime, timezone, from: date, until: date }));
    expect(errors.map((e) => e.path)).toEqual(['/startTime']);
    expect(errors[0]?.message).toMatch(/never happen/);
  });

  it.each([
    ['America/New_York', '2027-03-14', '02:30', '03:30'],
    ['America/New_York', '2027-03-14', '01:30', '02:30'],
    ['America/New_York', '2027-03-14', '02:30', '03:15'], // shifting by the gap made this 03:30–03:15
    ['Europe/Berlin', '2027-03-28', '02:30', '03:30'],
    ['Europe/Berlin', '2027-03-28', '01:30', '02:30'],
  ])('accepts a rule whose only occurrence only partly overlaps the gap (%s %s %s–%s)', (timezone, date, startTime, endTime) => {
    expect(
      validateRecurrence(rule({ days: ['sun'], startTime, endTime, timezone, from: date, until: date })),
    ).toEqual([]);
  });

  it('lists several problems at once', () => {
    const errors = validateRecurrence({
      days: ['tue', 'tue'],
      startTime: '10:00',
      endTime: '10:00',
      timezone: '+05:00',
      from: '2027-05-01',
      until: '2027-04-01',
    });
    expect(errors.map((e) => e.path).sort()).toEqual(['/days/1', '/endTime', '/timezone', '/until']);
  });
});

describe('expandRecurrence', () => {
  afterEach(() => {
    Settings.now = () => Date.now();
  });

  it('only produces the chosen weekdays', () => {
    const out = expandRecurrence(
      rule({ days: ['fri', 'mon', 'wed'] }),
      range('2027-01-04T00:00:00Z', '2027-01-18T00:00:00Z'),
    );
    expect(out.map((i) => i.start.getUTCDay())).toEqual([1, 3, 5, 1, 3, 5]);
    expect(isoUtc(out)[0]).toEqual(['2027-01-04T09:00:00.000Z', '2027-01-04T10:00:00.000Z']);
    expect(isoUtc(out)[5]).toEqual(['2027-01-15T09:00:00.000Z', '2027-01-15T10:00:00.000Z']);
  });

  it('keeps local time across spring-forward in America/New_York (2027-03-14)', () => {
    const zone = 'America/New_York';
    const out = expandRecurrence(
      rule({ days: ['sat', 'sun', 'mon'], timezone: zone }),
      range('2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2027-03-13T14:00:00.000Z', '2027-03-13T15:00:00.000Z'], // EST, UTC-5
      ['2027-03-14T13:00:00.000Z', '2027-03-14T14:00:00.000Z'], // EDT, UTC-4
      ['2027-03-15T13:00:00.000Z', '2027-03-15T14:00:00.000Z'],
    ]);
    expect(out.map((i) => localTime(i.start, zone))).toEqual([
      '2027-03-13 09:00',
      '2027-03-14 09:00',
      '2027-03-15 09:00',
    ]);
  });

  it('keeps local time across fall-back in America/New_York (2026-11-01)', () => {
    const zone = 'America/New_York';
    const out = expandRecurrence(
      rule({ days: ['sat', 'sun'], timezone: zone }),
      range('2026-10-31T00:00:00Z', '2026-11-02T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2026-10-31T13:00:00.000Z', '2026-10-31T14:00:00.000Z'], // EDT
      ['2026-11-01T14:00:00.000Z', '2026-11-01T15:00:00.000Z'], // EST
    ]);
    expect(out.map((i) => localTime(i.end, zone))).toEqual(['2026-10-31 10:00', '2026-11-01 10:00']);
  });

  it('keeps local time across spring-forward in Europe/Berlin (2027-03-28)', () => {
    const zone = 'Europe/Berlin';
    const out = expandRecurrence(
      rule({ days: ['sat', 'sun'], timezone: zone }),
      range('2027-03-27T00:00:00Z', '2027-03-29T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2027-03-27T08:00:00.000Z', '2027-03-27T09:00:00.000Z'], // CET, UTC+1
      ['2027-03-28T07:00:00.000Z', '2027-03-28T08:00:00.000Z'], // CEST, UTC+2
    ]);
    expect(out.map((i) => localTime(i.start, zone))).toEqual(['2027-03-27 09:00', '2027-03-28 09:00']);
  });

  it('keeps local time across fall-back in Europe/Berlin (2026-10-25)', () => {
    const zone = 'Europe/Berlin';
    const out = expandRecurrence(
      rule({ days: ['sat', 'sun'], timezone: zone }),
      range('2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2026-10-24T07:00:00.000Z', '2026-10-24T08:00:00.000Z'], // CEST
      ['2026-10-25T08:00:00.000Z', '2026-10-25T09:00:00.000Z'], // CET
    ]);
    expect(out.map((i) => localTime(i.start, zone))).toEqual(['2026-10-24 09:00', '2026-10-25 09:00']);
  });

  it('clamps a start inside the spring-forward gap to the transition (New York 02:30 -> 03:00 EDT)', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '02:30', endTime: '04:00', timezone: 'America/New_York' }),
      range('2027-03-14T00:00:00Z', '2027-03-15T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-03-14T07:00:00.000Z', '2027-03-14T08:00:00.000Z']]);
    expect(localTime(out[0]!.start, 'America/New_York')).toBe('2027-03-14 03:00');
  });

  it('clamps a start inside the spring-forward gap to the transition (Berlin 02:30 -> 03:00 CEST)', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '02:30', endTime: '05:00', timezone: 'Europe/Berlin' }),
      range('2027-03-27T00:00:00Z', '2027-03-29T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-03-28T01:00:00.000Z', '2027-03-28T03:00:00.000Z']]);
  });

  it('keeps the part of a window after the gap (Berlin sun 02:30–03:30 -> 03:00–03:30 CEST)', () => {
    const zone = 'Europe/Berlin';
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '02:30', endTime: '03:30', timezone: zone }),
      range('2027-03-20T00:00:00Z', '2027-04-05T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2027-03-21T01:30:00.000Z', '2027-03-21T02:30:00.000Z'], // CET
      ['2027-03-28T01:00:00.000Z', '2027-03-28T01:30:00.000Z'], // from the jump to 03:30 CEST
      ['2027-04-04T00:30:00.000Z', '2027-04-04T01:30:00.000Z'], // CEST
    ]);
    expect(localTime(out[1]!.start, zone)).toBe('2027-03-28 03:00');
    expect(localTime(out[1]!.end, zone)).toBe('2027-03-28 03:30');
  });

  it('keeps the part of a window before the gap (Berlin sun 01:30–02:30 -> 01:30 CET until the jump)', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '01:30', endTime: '02:30', timezone: 'Europe/Berlin' }),
      range('2027-03-27T00:00:00Z', '2027-03-29T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-03-28T00:30:00.000Z', '2027-03-28T01:00:00.000Z']]);
  });

  it('keeps the part of a window either side of the gap in America/New_York (2027-03-14)', () => {
    const span = range('2027-03-14T00:00:00Z', '2027-03-15T00:00:00Z');
    const ny = (startTime: string, endTime: string) =>
      isoUtc(expandRecurrence(rule({ days: ['sun'], startTime, endTime, timezone: 'America/New_York' }), span));
    expect(ny('02:30', '03:30')).toEqual([['2027-03-14T07:00:00.000Z', '2027-03-14T07:30:00.000Z']]);
    expect(ny('01:30', '02:30')).toEqual([['2027-03-14T06:30:00.000Z', '2027-03-14T07:00:00.000Z']]);
    expect(ny('02:30', '03:15')).toEqual([['2027-03-14T07:00:00.000Z', '2027-03-14T07:15:00.000Z']]);
  });

  it.each([
    ['America/New_York', '2027-03-14', '02:00', '03:00'],
    ['America/New_York', '2027-03-14', '02:15', '02:45'],
    ['Europe/Berlin', '2027-03-28', '02:00', '03:00'],
    ['Europe/Berlin', '2027-03-28', '02:15', '02:45'],
  ])('drops %s on %s %s–%s: it lies entirely in the gap', (timezone, date, startTime, endTime) => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime, endTime, timezone }),
      range(`${date}T00:00:00Z`, `${date}T12:00:00Z`),
    );
    expect(out).toEqual([]);
  });

  it('clamps to a 30-minute gap (Australia/Lord_Howe, 02:00 -> 02:30 on 2026-10-04)', () => {
    // Lord Howe goes from UTC+10:30 to UTC+11 at 02:00 local, i.e. 2026-10-03T15:30Z.
    const zone = 'Australia/Lord_Howe';
    const span = range('2026-10-03T00:00:00Z', '2026-10-05T00:00:00Z');
    const lh = (startTime: string, endTime: string) =>
      isoUtc(expandRecurrence(rule({ days: ['sun'], startTime, endTime, timezone: zone }), span));
    expect(lh('02:10', '02:40')).toEqual([['2026-10-03T15:30:00.000Z', '2026-10-03T15:40:00.000Z']]);
    expect(lh('01:50', '02:20')).toEqual([['2026-10-03T15:20:00.000Z', '2026-10-03T15:30:00.000Z']]);
    expect(lh('02:05', '02:25')).toEqual([]);
  });

  it('drops a window lying entirely in the gap that night, but keeps the other weeks', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '02:00', endTime: '03:00', timezone: 'America/New_York' }),
      range('2027-03-06T00:00:00Z', '2027-03-22T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2027-03-07T07:00:00.000Z', '2027-03-07T08:00:00.000Z'],
      ['2027-03-21T06:00:00.000Z', '2027-03-21T07:00:00.000Z'],
    ]);
  });

  it('takes the earlier instant for a time in the fall-back overlap (New York 01:30 EDT)', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '01:30', endTime: '02:30', timezone: 'America/New_York' }),
      range('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'),
    );
    // 01:30 EDT (UTC-4) is the first 01:30; 02:30 exists only once, in EST — so the window lasts two hours.
    expect(isoUtc(out)).toEqual([['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z']]);
  });

  it('takes the earlier instant for a time in the fall-back overlap (Berlin 02:30 CEST)', () => {
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '02:30', endTime: '03:30', timezone: 'Europe/Berlin' }),
      range('2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000Z']]);
  });

  it('resolves the overlap the same way whatever the current date is (Luxon would not)', () => {
    const r = rule({ days: ['sun'], startTime: '01:30', endTime: '01:45', timezone: 'America/New_York' });
    const span = range('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z');
    Settings.now = () => Date.parse('2026-07-01T12:00:00Z');
    const summer = isoUtc(expandRecurrence(r, span));
    Settings.now = () => Date.parse('2026-01-15T12:00:00Z');
    const winter = isoUtc(expandRecurrence(r, span));
    expect(summer).toEqual([['2026-11-01T05:30:00.000Z', '2026-11-01T05:45:00.000Z']]);
    expect(winter).toEqual(summer);
  });

  it('handles a 30-minute DST shift (Australia/Lord_Howe overlap)', () => {
    // Lord Howe falls back from UTC+11 to UTC+10:30 at 02:00 local on 2026-04-05.
    const out = expandRecurrence(
      rule({ days: ['sun'], startTime: '01:45', endTime: '03:00', timezone: 'Australia/Lord_Howe' }),
      range('2026-04-04T00:00:00Z', '2026-04-06T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2026-04-04T14:45:00.000Z', '2026-04-04T16:30:00.000Z']]);
  });

  it('runs overnight windows into the next day', () => {
    const out = expandRecurrence(
      rule({ days: ['fri'], startTime: '22:00', endTime: '02:00', timezone: 'Europe/Berlin' }),
      range('2027-01-04T00:00:00Z', '2027-01-18T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([
      ['2027-01-08T21:00:00.000Z', '2027-01-09T01:00:00.000Z'],
      ['2027-01-15T21:00:00.000Z', '2027-01-16T01:00:00.000Z'],
    ]);
  });

  it('includes an overnight window already running at range start', () => {
    const out = expandRecurrence(
      rule({ days: ['fri'], startTime: '22:00', endTime: '02:00', timezone: 'Europe/Berlin' }),
      range('2027-01-09T00:30:00Z', '2027-01-10T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-01-08T21:00:00.000Z', '2027-01-09T01:00:00.000Z']]);
  });

  it('shortens an overnight window that spans spring-forward by an hour of real time', () => {
    const out = expandRecurrence(
      rule({ days: ['sat'], startTime: '22:00', endTime: '06:00', timezone: 'America/New_York' }),
      range('2027-03-13T00:00:00Z', '2027-03-15T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-03-14T03:00:00.000Z', '2027-03-14T10:00:00.000Z']]);
  });

  it('respects from and until inclusively, by start date', () => {
    const out = expandRecurrence(
      rule({ days: [...WEEKDAYS], startTime: '22:00', endTime: '01:00', from: '2027-01-10', until: '2027-01-12' }),
      range('2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z'),
    );
    // The 01-09 window (ending on the 10th) is out; the 01-12 window (ending on the 13th) is in.
    expect(isoUtc(out)).toEqual([
      ['2027-01-10T22:00:00.000Z', '2027-01-11T01:00:00.000Z'],
      ['2027-01-11T22:00:00.000Z', '2027-01-12T01:00:00.000Z'],
      ['2027-01-12T22:00:00.000Z', '2027-01-13T01:00:00.000Z'],
    ]);
  });

  it('reads from/until as local dates in the rule zone', () => {
    // Auckland is UTC+13 in January: 2027-01-10 09:00 there is still the 9th in UTC.
    const out = expandRecurrence(
      rule({ days: [...WEEKDAYS], timezone: 'Pacific/Auckland', from: '2027-01-10', until: '2027-01-10' }),
      range('2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z'),
    );
    expect(isoUtc(out)).toEqual([['2027-01-09T20:00:00.000Z', '2027-01-09T21:00:00.000Z']]);
  });

  it('keeps windows that end after range.start and start before range.end, nothing touching the edges', () => {
    const r = rule({ days: [...WEEKDAYS] });
    // 2027-01-05 09:00–10:00 ends exactly at range start; 2027-01-07 09:00 starts exactly at range end.
    const out = expandRecurrence(r, range('2027-01-05T10:00:00Z', '2027-01-07T09:00:00Z'));
    expect(isoUtc(out)).toEqual([['2027-01-06T09:00:00.000Z', '2027-01-06T10:00:00.000Z']]);
  });

  it('returns nothing for an empty or inverted range', () => {
    const r = rule({ days: [...WEEKDAYS] });
    expect(expandRecurrence(r, range('2027-01-05T00:00:00Z', '2027-01-05T00:00:00Z'))).toEqual([]);
    expect(expandRecurrence(r, range('2027-01-06T00:00:00Z', '2027-01-05T00:00:00Z'))).toEqual([]);
  });

  it('throws on a rule that cannot be evaluated', () => {
    const span = range('2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z');
    expect(() => expandRecurrence(rule({ timezone: 'Mars/Olympus' }), span)).toThrow(RangeError);
    expect(() => expandRecurrence(rule({ endTime: '09:00' }), span)).toThrow(RangeError);
  });
});

describe('horizonEnd', () => {
  const now = at('2026-12-01T12:00:00Z');
  const eightWeeksLater = '2027-01-26T12:00:00.000Z';

  it('is now + 8 weeks without a rule or without from', () => {
    expect(SCHEDULE_HORIZON_MS).toBe(56 * 86_400_000);
    expect(horizonEnd(null, now).toISOString()).toBe(eightWeeksLater);
    expect(horizonEnd(undefined, now).toISOString()).toBe(eightWeeksLater);
    expect(horizonEnd(rule(), now).toISOString()).toBe(eightWeeksLater);
  });

  it('is now + 8 weeks when from has passed', () => {
    expect(horizonEnd(rule({ from: '2026-06-01' }), now).toISOString()).toBe(eightWeeksLater);
  });

  it('is 8 weeks after the start of from (local midnight) when from is in the future', () => {
    const r = rule({ timezone: 'America/New_York', from: '2027-01-10' });
    expect(horizonEnd(r, now).toISOString()).toBe('2027-03-07T05:00:00.000Z');
  });
});

describe('buildSchedule', () => {
  const ny = 'America/New_York';
  const mondays = rule({ days: ['mon'], startTime: '09:30', endTime: '11:00', timezone: ny });

  it('formats recurrence windows in the rule zone without milliseconds', () => {
    const out = buildSchedule([], mondays, at('2026-12-01T00:00:00Z'));
    expect(out[0]).toEqual({ start: '2026-12-07T09:30:00-05:00', end: '2026-12-07T11:00:00-05:00' });
  });

  it('rolls the 8-week horizon forward with now', () => {
    const first = buildSchedule([], mondays, at('2026-12-01T12:00:00Z'));
    const later = buildSchedule([], mondays, at('2026-12-22T12:00:00Z'));
    const dates = (ws: Window[]) => ws.map((w) => w.start.slice(0, 10));
    expect(dates(first)).toEqual([
      '2026-12-07',
      '2026-12-14',
      '2026-12-21',
      '2026-12-28',
      '2027-01-04',
      '2027-01-11',
      '2027-01-18',
      '2027-01-25',
    ]);
    expect(dates(later)).toEqual([
      '2026-12-28',
      '2027-01-04',
      '2027-01-11',
      '2027-01-18',
      '2027-01-25',
      '2027-02-01',
      '2027-02-08',
      '2027-02-15',
    ]);
  });

  it('starts the horizon at from when from is in the future, switching offset at DST', () => {
    const out = buildSchedule([], { ...mondays, from: '2027-03-01' }, at('2026-12-01T12:00:00Z'));
    expect(out).toHaveLength(8);
    expect(out[0]?.start).toBe('2027-03-01T09:30:00-05:00');
    expect(out[2]?.start).toBe('2027-03-15T09:30:00-04:00');
    expect(out[7]?.start).toBe('2027-04-19T09:30:00-04:00');
  });

  it('includes a recurrence window that is under way', () => {
    const out = buildSchedule([], mondays, at('2026-12-07T15:00:00Z')); // 10:00 in New York
    expect(out[0]).toEqual({ start: '2026-12-07T09:30:00-05:00', end: '2026-12-07T11:00:00-05:00' });
  });

  it('returns one-offs exactly as given, however far ahead, and drops finished ones', () => {
    const now = at('2026-12-01T12:00:00Z');
    const windows: Window[] = [
      { start: '2030-05-01T10:00:00.000Z', end: '2030-05-01T12:00:00.000Z' }, // years ahead
      { start: '2026-11-30T10:00:00+01:00', end: '2026-11-30T12:00:00+01:00' }, // finished
      { start: '2026-12-01T11:00:00Z', end: '2026-12-01T12:00:00Z' }, // ends exactly now
      { start: '2026-12-01T06:00:00-05:00', end: '2026-12-01T08:00:00-05:00' }, // under way
      { start: '2026-12-24T18:00+01:00', end: '2026-12-24T20:30+01:00' },
    ];
    expect(buildSchedule(windows, null, now)).toEqual([
      { start: '2026-12-01T06:00:00-05:00', end: '2026-12-01T08:00:00-05:00' },
      { start: '2026-12-24T18:00+01:00', end: '2026-12-24T20:30+01:00' },
      { start: '2030-05-01T10:00:00.000Z', end: '2030-05-01T12:00:00.000Z' },
    ]);
  });

  it('merges one-offs and recurrence sorted by start then end, removing exact duplicates', () => {
    const now = at('2026-12-01T12:00:00Z');
    const windows: Window[] = [
      { start: '2026-12-08T10:00:00Z', end: '2026-12-08T12:00:00Z' },
      { start: '2026-12-08T10:00:00Z', end: '2026-12-08T11:00:00Z' },
      { start: '2026-12-08T11:00:00+01:00', end: '2026-12-08T12:00:00+01:00' }, // same instants as above
      { start: '2026-12-07T14:30:00Z', end: '2026-12-07T16:00:00Z' }, // same as the first Monday
    ];
    const out = buildSchedule(windows, mondays, now).slice(0, 4);
    expect(out).toEqual([
      { start: '2026-12-07T14:30:00Z', end: '2026-12-07T16:00:00Z' }, // the one-off wins the tie
      { start: '2026-12-08T10:00:00Z', end: '2026-12-08T11:00:00Z' },
      { start: '2026-12-08T10:00:00Z', end: '2026-12-08T12:00:00Z' },
      { start: '2026-12-14T09:30:00-05:00', end: '2026-12-14T11:00:00-05:00' },
    ]);
  });

  it('is empty with nothing to show', () => {
    expect(buildSchedule([], null, at('2026-12-01T12:00:00Z'))).toEqual([]);
    expect(
      buildSchedule([], { ...mondays, until: '2026-11-30' }, at('2026-12-01T12:00:00Z')),
    ).toEqual([]);
  });

  it('rejects one-off strings that are not strict RFC 3339 or lie outside 1900–8999', () => {
    const now = at('2026-12-01T12:00:00Z');
    for (const end of ['2026-12-08T11:00:00+0100', '2026-12-08t11:00:00z', '9999-12-31T20:00:00-05:00']) {
      expect(() => buildSchedule([{ start: '2026-12-08T10:00:00Z', end }], null, now)).toThrow(RangeError);
    }
    const farOff = { start: '8999-12-31T18:00:00-05:00', end: '8999-12-31T18:30:00-05:00' };
    expect(buildSchedule([farOff], null, now)).toEqual([farOff]);
  });

  it('rejects one-off strings without an offset', () => {
    expect(() =>
      buildSchedule([{ start: '2026-12-08T10:00:00', end: '2026-12-08T11:00:00' }], null, at('2026-12-01T12:00:00Z')),
    ).toThrow(RangeError);
  });
});

describe('lastWindowEnd', () => {
  const windows: Window[] = [
    { start: '2027-01-05T10:00:00Z', end: '2027-01-05T11:00:00Z' },
    { start: '2027-01-20T10:00:00+01:00', end: '2027-01-20T12:00:00+01:00' },
    { start: '2027-01-10T10:00:00Z', end: '2027-01-10T11:00:00Z' },
  ];
  const monWed = rule({ days: ['mon', 'wed'], timezone: 'America/New_York' });

  it('is null with nothing at all', () => {
    expect(lastWindowEnd([], null)).toBeNull();
    expect(lastWindowEnd([], undefined)).toBeNull();
  });

  it('is the latest one-off end without a rule', () => {
    expect(lastWindowEnd(windows, null)?.toISOString()).toBe('2027-01-20T11:00:00.000Z');
  });

  it('is null when the rule has no until, whatever the one-offs', () => {
    expect(lastWindowEnd(windows, monWed)).toBeNull();
    expect(lastWindowEnd([], monWed)).toBeNull();
  });

  it('is the end of the occurrence on until when until is a listed day', () => {
    expect(lastWindowEnd([], { ...monWed, until: '2027-01-13' })?.toISOString()).toBe('2027-01-13T15:00:00.000Z');
  });

  it('walks back to the last listed day when until is not one', () => {
    // 2027-01-16 is a Saturday; the last occurrence is Wednesday 2027-01-13.
    expect(lastWindowEnd([], { ...monWed, until: '2027-01-16' })?.toISOString()).toBe('2027-01-13T15:00:00.000Z');
  });

  it('uses the real end of an overnight last occurrence', () => {
    const r = rule({ days: ['fri'], startTime: '22:00', endTime: '02:00', timezone: 'Europe/Berlin', until: '2027-01-15' });
    expect(lastWindowEnd([], r)?.toISOString()).toBe('2027-01-16T01:00:00.000Z');
  });

  it('takes the later of one-offs and the rule', () => {
    expect(lastWindowEnd(windows, { ...monWed, until: '2027-01-13' })?.toISOString()).toBe(
      '2027-01-20T11:00:00.000Z',
    );
    expect(lastWindowEnd(windows, { ...monWed, until: '2027-02-03' })?.toISOString()).toBe(
      '2027-02-03T15:00:00.000Z',
    );
  });

  it('ignores a rule that never occurs', () => {
    // 2027-01-16/17 is a weekend: no Monday or Wednesday in range.
    const never = { ...monWed, from: '2027-01-16', until: '2027-01-17' };
    expect(lastWindowEnd([], never)).toBeNull();
    expect(lastWindowEnd(windows, never)?.toISOString()).toBe('2027-01-20T11:00:00.000Z');
  });

  it('skips a last occurrence swallowed by the spring-forward gap', () => {
    const r = rule({ days: ['sun'], startTime: '02:00', endTime: '03:00', timezone: 'America/New_York', until: '2027-03-14' });
    expect(lastWindowEnd([], r)?.toISOString()).toBe('2027-03-07T08:00:00.000Z');
  });

  it('agrees with expandRecurrence', () => {
    const r = rule({ days: ['tue', 'sat'], startTime: '23:30', endTime: '00:15', timezone: 'Europe/Berlin', from: '2026-09-01', until: '2027-04-01' });
    const all = expandRecurrence(r, range('2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z'));
    expect(lastWindowEnd([], r)?.toISOString()).toBe(all.at(-1)?.end.toISOString());
  });

  it('finds the last occurrence of an until centuries away', () => {
    const end = lastWindowEnd([], { ...monWed, until: '2999-12-31' });
    // 2999-12-31 is a Tuesday, so the last occurrence is Monday 2999-12-30 (EST).
    expect(end?.toISOString()).toBe('2999-12-30T15:00:00.000Z');
  });
});

describe('upcomingStored', () => {
  const s = (iso: string) => Date.parse(iso) / 1000;

  it('drops what is over and rule occurrences past the horizon, keeps one-offs however far ahead', () => {
    const now = at('2026-12-01T12:00:00Z');
    const horizon = s('2026-12-01T12:00:00Z') + SCHEDULE_HORIZON_MS / 1000;
    const stored: [number, number, boolean][] = [
      [s('2026-12-01T10:00:00Z'), s('2026-12-01T12:00:00Z'), false], // ended at now
      [s('2026-12-01T11:00:00Z'), s('2026-12-01T12:00:01Z'), true], // not over
      [horizon - 60, horizon + 3600, true], // starts before the horizon's end
      [horizon, horizon + 3600, true], // starts at it: out
      [horizon + 86_400, horizon + 90_000, false], // a one-off: in
    ];
    expect(upcomingStored(stored, null, now)).toEqual([
      [stored[1]![0], stored[1]![1]],
      [horizon - 60, horizon + 3600],
      [horizon + 86_400, horizon + 90_000],
    ]);
    // A rule starting later has its 8 weeks from its first day.
    const from = at('2026-12-20T05:00:00Z');
    expect(upcomingStored(stored, from, now)).toHaveLength(4);
  });

  it('gives the set buildSchedule gives, from what a new post stores, until the sweep extends it', () => {
    // Across the start of daylight saving time in New York (2027-03-14), with one-offs, one ended and one at an occurrence's time.
    const created = at('2027-01-20T15:00:00Z');
    const r = rule({ days: ['mon', 'thu'], startTime: '18:30', endTime: '20:00', timezone: 'America/New_York', from: '2027-01-25' });
    const windows: Window[] = [
      { start: '2027-01-19T09:00:00-05:00', end: '2027-01-19T10:00:00-05:00' },
      { start: '2027-01-28T18:30:00-05:00', end: '2027-01-28T20:00:00-05:00' },
      { start: '2027-06-01T09:00:00-04:00', end: '2027-06-01T10:00:00-04:00' },
    ];
    // As postsRepo writes them: the one-offs, then the occurrences up to 8 weeks and a margin ahead, an instant once.
    const until = new Date(horizonEnd(r, created).getTime() + 7 * 86_400_000);
    const rows = new Map<string, [number, number, boolean]>();
    for (const w of windows) {
      rows.set(`${Date.parse(w.start)}:${Date.parse(w.end)}`, [Date.parse(w.start) / 1000, Date.parse(w.end) / 1000, false]);
    }
    for (const o of expandRecurrence(r, { start: created, end: until })) {
      const key = `${o.start.getTime()}:${o.end.getTime()}`;
      if (!rows.has(key)) {
        rows.set(key, [o.start.getTime() / 1000, o.end.getTime() / 1000, true]);
      }
    }
    const stored = [...rows.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const fromAt = ruleStart(r);
    for (const now of [created, at('2027-01-26T00:00:00Z'), at('2027-01-27T14:59:00Z')]) {
      const expected = buildSchedule(windows, r, now).map((w) => [Date.parse(w.start) / 1000, Date.parse(w.end) / 1000]);
      expect(upcomingStored(stored, fromAt, now)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(10);
    }
  });
});
