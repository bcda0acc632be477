import { describe, expect, it } from 'vitest';
import { destinationPoint } from '../../server/geo/geo';
import {
  commonLanguages,
  detourMeters,
  evaluatePair,
  isRemotePair,
  type MatchPost,
  modesCompatible,
  normalizeSubject,
  overlapWindows,
  reach,
  span,
} from '../../server/matching/score';
import type { Interval } from '../../server/posts/windows';
import { prng } from '../random';

const NOW = new Date('2026-12-01T12:00:00Z');
const HOME = { lat: 40.6782, lng: -73.9442 };
const at = (bearing: number, m: number) => destinationPoint(HOME, bearing, m);
const w = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });
// Tuesday 2026-12-01, 17:00–19:00 New York.
const TUE = w('2026-12-01T22:00:00Z', '2026-12-02T00:00:00Z');

function post(kind: 'need' | 'offer', overrides: Partial<MatchPost> = {}): MatchPost {
  return {
    id: `${kind}-${Math.random()}`,
    kind,
    category: 'meal',
    authorId: `${kind}-author`,
    location: HOME,
    radiusM: 2000,
    capacity: 1,
    capacityLeft: 1,
    details: {},
    destination: null,
    createdAt: NOW,
    schedule: [TUE],
    zone: 'America/New_York',
    ...overrides,
  };
}
const ctx = { now: NOW, helperRecentAccepts: 0, viewer: 'need' as const };

describe('rules', () => {
  it('reach is the larger radius', () => {
    expect(reach({ radiusM: 500 }, { radiusM: 3000 })).toBe(3000);
    expect(reach({ radiusM: 8000 }, { radiusM: 3000 })).toBe(8000);
  });

  it('measures the detour of a pickup and drop-off on a trip', () => {
    const start = at(0, 0);
    const end = at(90, 10_000);
    // On the way: no detour.
    expect(detourMeters(start, end, at(90, 2000), at(90, 6000))).toBeCloseTo(0, 0);
    // 1 km off the line and back: about 2 km extra.
    const pickup = destinationPoint(at(90, 5000), 0, 1000);
    expect(detourMeters(start, end, pickup, pickup)).toBeGreaterThan(190);
    expect(detourMeters(start, end, pickup, pickup)).toBeLessThan(2000);
  });

  it('tutoring: subject ignores case and spaces; languages meet on primary subtags; modes', () => {
    expect(normalizeSubject(' Linear  Algebra ')).toBe(normalizeSubject('linearalgebra'));
    expect(commonLanguages(['en-US', 'es'], ['en'])).toEqual(['en']);
    expect(commonLanguages(['fr'], ['de'])).toEqual([]);
    expect(commonLanguages(undefined, ['de'])).toBeNull();
    expect(modesCompatible('in_person', 'remote')).toBe(false);
    expect(modesCompatible('in_person', 'either')).toBe(true);
    expect(modesCompatible('remote', 'remote')).toBe(true);
    expect(isRemotePair('remote', 'either')).toBe(true);
    expect(isRemotePair('either', 'either')).toBe(false);
    expect(isRemotePair('remote', 'in_person')).toBe(false);
  });

  it('windows overlap by at least min(30 minutes, the need window)', () => {
    const need = [w('2026-12-02T10:00:00Z', '2026-12-02T10:20:00Z'), w('2026-12-03T10:00:00Z', '2026-12-03T12:00:00Z')];
    const offer = [w('2026-12-02T09:00:00Z', '2026-12-02T10:20:00Z'), w('2026-12-03T11:45:00Z', '2026-12-03T13:00:00Z')];
    // The short need window is covered whole; the long one meets only 15 minutes.
    expect(overlapWindows(need, offer).map((m) => m.overlap)).toEqual([w('2026-12-02T10:00:00Z', '2026-12-02T10:20:00Z')]);
  });

  it('overlapWindows finds what comparing every pair finds, schedules in order or not', () => {
    // Every pair of windows compared, as overlapWindows did before it skipped what cannot meet.
    const everyPair = (needs: Interval[], offers: Interval[]) => {
      const out: { need: Interval; offer: Interval; overlap: Interval }[] = [];
      for (const n of needs) {
        for (const o of offers) {
          const start = Math.max(n.start.getTime(), o.start.getTime());
          const end = Math.min(n.end.getTime(), o.end.getTime());
          if (end - start >= Math.min(30 * 60_000, n.end.getTime() - n.start.getTime()) && end > start) {
            out.push({ need: n, offer: o, overlap: { start: new Date(start), end: new Date(end) } });
          }
        }
      }
      return out.sort((a, b) => a.overlap.start.getTime() - b.overlap.start.getTime());
    };
    const random = prng(17);
    const QUARTER = 15 * 60_000;
    // Windows on a grid of quarter hours over four days: they touch, nest, overlap each other and run 15 minutes to 6 hours.
    const schedule = () =>
      Array.from({ length: Math.floor(random() * 12) }, () => {
        const start = Date.UTC(2026, 11, 7) + Math.floor(random() * 384) * QUARTER;
        return { start: new Date(start), end: new Date(start + (1 + Math.floor(random() * 24)) * QUARTER) };
      });
    let met = 0;
    for (let i = 0; i < 2000; i++) {
      const [needs, offers] = [schedule(), schedule()];
      // Half the time in order of starts (as windows.ts gives them), half as they came.
      if (i % 2 === 0) {
        needs.sort((a, b) => a.start.getTime() - b.start.getTime());
        offers.sort((a, b) => a.start.getTime() - b.start.getTime());
      }
      const found = overlapWindows(needs, offers);
      expect(found).toEqual(everyPair(needs, offers));
      met += found.length;
    }
    expect(met).toBeGreaterThan(1000); // the cases did meet, often
  });
});

describe('evaluatePair', () => {
  it('explain: false decides and scores the same, without writing reasons', () => {
    const pairs: [MatchPost, MatchPost][] = [
      [post('need', { details: { dietary: ['vegetarian'] } }), post('offer', { details: { dietary: ['vegetarian'] } })],
      [post('need', { category: 'ride', destination: at(90, 3000) }), post('offer', { category: 'ride', location: at(270, 1000), destination: at(90, 6000) })],
      [post('need', { details: { dietary: ['halal'] } }), post('offer', { details: { dietary: ['vegetarian'] } })],
      [post('need', { category: 'ride', details: { wheelchair: true } }), post('offer', { category: 'ride', details: { wheelchair: true } })],
    ];
    for (const [need, offer] of pairs) {
      const full = evaluatePair(need, offer, ctx);
      const quiet = evaluatePair(need, offer, { ...ctx, explain: false });
      expect(quiet === null).toBe(full === null);
      if (full && quiet) {
        expect(quiet.reasons).toEqual([]);
        expect(quiet.why).toEqual([]);
        expect({ ...quiet, reasons: full.reasons, why: full.why }).toEqual(full);
        // One code for every reason written, in the same order.
        expect(full.why.map((r) => r.code)).toHaveLength(full.reasons.length);
      }
    }
  });

  it('meal: the need’s dietary tags must be covered by the offer’s', () => {
    const need = post('need', { details: { dietary: ['vegetarian', 'nut-free'] } });
    expect(evaluatePair(need, post('offer', { details: { dietary: ['vegetarian'] } }), ctx)).toBeNull();
    const fit = evaluatePair(need, post('offer', { details: { dietary: ['vegan', 'vegetarian', 'nut-free'] } }), ctx);
    expect(fit?.reasons).toContain('covers vegetarian, nut-free');
  });

  it('ride: wheelchair needs a wheelchair offer; trips stay within their detour; area offers cover pickup and drop-off', () => {
    const need = post('need', { category: 'ride', details: { wheelchair: true }, destination: at(90, 3000) });
    expect(evaluatePair(need, post('offer', { category: 'ride', radiusM: 5000 }), ctx)).toBeNull();
    const area = evaluatePair(need, post('offer', { category: 'ride', radiusM: 5000, details: { wheelchair: true } }), ctx);
    expect(area?.reasons).toEqual(expect.arrayContaining(['wheelchair accessible', 'pickup and drop-off within their 5 km area']));
    // A drop-off outside the offer's area.
    const far = post('need', { category: 'ride', destination: at(90, 9000) });
    expect(evaluatePair(far, post('offer', { category: 'ride', radiusM: 5000 }), ctx)).toBeNull();

    const plain = post('need', { category: 'ride', destination: at(90, 3000) });
    const onTheWay = post('offer', { category: 'ride', location: at(270, 1000), destination: at(90, 6000) });
    expect(evaluatePair(plain, onTheWay, ctx)?.reasons).toContain('on their way, no detour');
    const offTrack = post('offer', { category: 'ride', location: at(0, 1500), destination: at(0, 9000), details: { maxDetourM: 3000 } });
    expect(evaluatePair(plain, offTrack, ctx)).toBeNull();
    const generous = post('offer', { category: 'ride', location: at(0, 1500), destination: at(0, 9000), details: { maxDetourM: 20_000 } });
    expect(evaluatePair(plain, generous, ctx)?.reasons.some((r) => /km detour on their trip$/.test(r))).toBe(true);
  });

  it('tutoring: remote pairs ignore distance, in-person ones do not', () => {
    const far = destinationPoint(HOME, 45, 900_000);
    const need = post('need', { category: 'tutoring', details: { subject: 'Math', languages: ['es'], mode: 'remote' } });
    const remote = post('offer', { category: 'tutoring', location: far, details: { subject: 'math', languages: ['es-MX', 'en'], mode: 'either' } });
    const fit = evaluatePair(need, remote, ctx);
    expect(fit?.reasons).toEqual(expect.arrayContaining(['remote, so distance does not matter', 'speaks Spanish']));
    expect(fit!.distanceM).toBeGreaterThan(899_000);
    const inPerson = post('offer', { category: 'tutoring', location: far, details: { subject: 'math', mode: 'in_person' } });
    expect(evaluatePair(need, inPerson, ctx)).toBeNull();
    const eitherFar = post('need', { category: 'tutoring', details: { subject: 'Math' } });
    expect(evaluatePair(eitherFar, post('offer', { category: 'tutoring', location: far, details: { subject: 'Math' } }), ctx)).toBeNull();
    expect(evaluatePair(need, post('offer', { category: 'tutoring', details: { subject: 'Physics', mode: 'remote' } }), ctx)).toBeNull();
    expect(evaluatePair(need, post('offer', { category: 'tutoring', details: { subject: 'Math', languages: ['de'], mode: 'remote' } }), ctx)).toBeNull();
  });

  it('needs reach and time', () => {
    const need = post('need', { radiusM: 1000 });
    expect(evaluatePair(need, post('offer', { location: at(0, 2500), radiusM: 2000 }), ctx)).toBeNull();
    expect(evaluatePair(need, post('offer', { location: at(0, 2500), radiusM: 3000 }), ctx)).not.toBeNull();
    expect(evaluatePair(need, post('offer', { schedule: [w('2026-12-05T10:00:00Z', '2026-12-05T12:00:00Z')] }), ctx)).toBeNull();
  });

  it('ranks nearer, longer overlap, fresher higher, and a busy helper a little lower — and says so', () => {
    const need = post('need', { radiusM: 5000 });
    const score = (o: Partial<MatchPost>, accepts = 0) => evaluatePair(need, post('offer', o), { ...ctx, helperRecentAccepts: accepts })!.score;
    expect(score({ location: at(0, 500) })).toBeGreaterThan(score({ location: at(0, 3000) }));
    expect(score({ schedule: [TUE] })).toBeGreaterThan(score({ schedule: [w('2026-12-01T23:00:00Z', '2026-12-02T00:00:00Z')] }));
    expect(score({ createdAt: NOW })).toBeGreaterThan(score({ createdAt: new Date('2026-11-01T00:00:00Z') }));
    expect(score({}, 0)).toBeGreaterThan(score({}, 4));
    expect(score({}, 4) - score({}, 0)).toBeGreaterThan(-0.1);
    const busy = evaluatePair(need, post('offer'), { ...ctx, helperRecentAccepts: 3 })!;
    expect(busy.reasons.at(-1)).toMatch(/already helping 3 neighbors this week/);
  });

  it('explains place and time in the viewer’s zone, from either side', () => {
    const need = post('need');
    const offer = post('offer', { location: at(0, 500) });
    expect(evaluatePair(need, offer, ctx)!.reasons.slice(0, 2)).toEqual(['0.5 km away', 'free Tue 17:00–19:00, you need 17:00–19:00']);
    expect(evaluatePair(need, offer, { ...ctx, viewer: 'offer' })!.reasons[1]).toBe('needs Tue 17:00–19:00, you are free 17:00–19:00');
  });
});

describe('span (times in reasons)', () => {
  it('reads in the zone given: day, 24-hour clock, the end day only when it differs', () => {
    expect(span(TUE, 'America/New_York', true)).toBe('Tue 17:00–19:00');
    expect(span(TUE, 'America/New_York', false)).toBe('17:00–19:00');
    expect(span(TUE, 'Europe/Berlin', true)).toBe('Tue 23:00–Wed 01:00');
    expect(span(w('2026-12-01T23:00:00Z', '2026-12-02T00:30:00Z'), 'UTC', true)).toBe('Tue 23:00–Wed 00:30');
  });

  it('midnight is 00:00, not 24:00; DST days; half-hour zones; fixed offsets (not Intl zones) too', () => {
    expect(span(w('2026-12-02T05:00:00Z', '2026-12-02T06:00:00Z'), 'America/New_York', true)).toBe('Wed 00:00–01:00');
    // 2027-03-14: New York springs forward at 02:00.
    expect(span(w('2027-03-14T06:30:00Z', '2027-03-14T07:30:00Z'), 'America/New_York', true)).toBe('Sun 01:30–03:30');
    expect(span(w('2026-12-01T12:00:00Z', '2026-12-01T13:00:00Z'), 'Asia/Kolkata', true)).toBe('Tue 17:30–18:30');
    expect(span(TUE, 'UTC-05:00', true)).toBe('Tue 17:00–19:00');
    expect(span(TUE, 'UTC+05:30', true)).toBe('Wed 03:30–05:30');
  });
});
