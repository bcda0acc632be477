import { describe, it, expect } from 'vitest';
import {
  EARTH_RADIUS_M,
  PUBLIC_OFFSET_MIN_M,
  PUBLIC_OFFSET_MAX_M,
  distanceM,
  destinationPoint,
  offsetFromUniform,
  derivedOffset,
  applyOffset,
  roundLatLng,
} from '../../server/geo/geo';
import type { LatLng } from '../../server/geo/geo';

const ONE_DEGREE_M = 111_195.08; // 2πR / 360 for R = 6,371,008.8 m

// Spread of places including the awkward ones: near both poles and either side of the antimeridian.
const PLACES: LatLng[] = [
  { lat: 52.52, lng: 13.405 },
  { lat: -33.8688, lng: 151.2093 },
  { lat: 40.7128, lng: -74.006 },
  { lat: 0, lng: 0 },
  { lat: 89.9995, lng: 10 },
  { lat: -89.9999, lng: -120 },
  { lat: 65.5, lng: 179.9995 },
  { lat: -16.5, lng: -179.9999 },
];

/** A deterministic stand-in for Math.random, so failures reproduce. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('distanceM', () => {
  it('measures one degree of latitude as ~111,195 m', () => {
    expect(Math.abs(distanceM({ lat: 0, lng: 0 }, { lat: 1, lng: 0 }) - ONE_DEGREE_M)).toBeLessThan(1);
    expect(Math.abs(distanceM({ lat: 45, lng: 7 }, { lat: 46, lng: 7 }) - ONE_DEGREE_M)).toBeLessThan(1);
  });

  it('measures one degree of longitude on the equator the same, and cos(lat) of it at 60°', () => {
    expect(Math.abs(distanceM({ lat: 0, lng: 10 }, { lat: 0, lng: 11 }) - ONE_DEGREE_M)).toBeLessThan(1);
    // Not exactly half at 60°: the great circle bows towards the pole.
    expect(distanceM({ lat: 60, lng: 0 }, { lat: 60, lng: 1 })).toBeCloseTo(55_597.3, 0);
  });

  it('measures Paris–London at ~343.5 km', () => {
    const d = distanceM({ lat: 48.8566, lng: 2.3522 }, { lat: 51.5074, lng: -0.1278 });
    expect(d).toBeGreaterThan(343_000);
    expect(d).toBeLessThan(344_000);
  });

  it('is zero for a point and itself, symmetric, and πR for antipodes', () => {
    const p = { lat: 37.7749, lng: -122.4194 };
    const q = { lat: -33.9249, lng: 18.4241 };
    expect(distanceM(p, p)).toBe(0);
    expect(distanceM(p, q)).toBeCloseTo(distanceM(q, p), 6);
    // Haversine is ill-conditioned at antipodes (h ≈ 1), costing ~0.1 m there; irrelevant at our scale.
    const antipodal = distanceM({ lat: 10, lng: 20 }, { lat: -10, lng: -160 });
    expect(Number.isNaN(antipodal)).toBe(false);
    expect(Math.abs(antipodal - Math.PI * EARTH_RADIUS_M)).toBeLessThan(1);
  });

  it('goes the short way across the antimeridian', () => {
    expect(Math.abs(distanceM({ lat: 0, lng: 179.5 }, { lat: 0, lng: -179.5 }) - ONE_DEGREE_M)).toBeLessThan(1);
  });
});

describe('destinationPoint', () => {
  it('travels one degree north and east from the origin', () => {
    const north = destinationPoint({ lat: 0, lng: 0 }, 0, ONE_DEGREE_M);
    expect(north.lat).toBeCloseTo(1, 6);
    expect(north.lng).toBeCloseTo(0, 9);
    const east = destinationPoint({ lat: 0, lng: 0 }, 90, ONE_DEGREE_M);
    expect(east.lat).toBeCloseTo(0, 9);
    expect(east.lng).toBeCloseTo(1, 6);
  });

  it('round-trips with distanceM for many bearings and places', () => {
    for (const from of PLACES) {
      for (let bearing = 0; bearing < 360; bearing += 22.5) {
        for (const d of [1, 150, 400, 25_000]) {
          const to = destinationPoint(from, bearing, d);
          expect(distanceM(from, to)).toBeCloseTo(d, 3);
        }
      }
    }
  });

  it('normalises longitude to [-180, 180) across the antimeridian', () => {
    const p = destinationPoint({ lat: 0, lng: 179.9 }, 90, ONE_DEGREE_M * 0.2);
    expect(p.lng).toBeCloseTo(-179.9, 6);
    const q = destinationPoint({ lat: 0, lng: -179.9 }, 270, ONE_DEGREE_M * 0.2);
    expect(q.lng).toBeCloseTo(179.9, 6);
    expect(destinationPoint({ lat: 0, lng: 180 }, 0, 0).lng).toBe(-180);
  });

  it('crosses the pole and keeps latitude within [-90, 90]', () => {
    const p = destinationPoint({ lat: 89.999, lng: 45 }, 0, 400);
    expect(p.lat).toBeLessThanOrEqual(90);
    expect(p.lng).toBeCloseTo(-135, 6); // over the top, onto the opposite meridian
    expect(distanceM({ lat: 89.999, lng: 45 }, p)).toBeCloseTo(400, 3);

    const fromPole = destinationPoint({ lat: 90, lng: 0 }, 180, 1000);
    expect(fromPole.lat).toBeCloseTo(90 - 1000 / ONE_DEGREE_M, 6);
    const fromSouthPole = destinationPoint({ lat: -90, lng: 0 }, 0, 1000);
    expect(fromSouthPole.lat).toBeCloseTo(-90 + 1000 / ONE_DEGREE_M, 6);
  });
});

describe('offsetFromUniform', () => {
  it('maps two uniforms linearly onto bearing and distance', () => {
    expect(offsetFromUniform(0.25, 0.5)).toEqual({ bearingDeg: 90, distanceM: 275 });
    expect(offsetFromUniform(0, 0)).toEqual({ bearingDeg: 0, distanceM: PUBLIC_OFFSET_MIN_M });
  });

  it('keeps the bearing below 360 even at the upper end', () => {
    const o = offsetFromUniform(1, 1);
    expect(o.bearingDeg).toBe(0);
    expect(o.distanceM).toBe(PUBLIC_OFFSET_MAX_M);
    expect(offsetFromUniform(0.999_999_999, 0).bearingDeg).toBeLessThan(360);
  });

  it('rejects numbers outside [0, 1]', () => {
    expect(() => offsetFromUniform(-0.1, 0)).toThrow(RangeError);
    expect(() => offsetFromUniform(0, 1.5)).toThrow(RangeError);
    expect(() => offsetFromUniform(Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('derivedOffset', () => {
  const key = new Uint8Array(32).fill(7);
  const home = { lat: 40.678213, lng: -73.944187 };

  it('is the same for the same author at the same place, every time', () => {
    expect(derivedOffset(key, 'author-a', home)).toEqual(derivedOffset(key, 'author-a', { ...home }));
    // A pin nudged a few metres within the same ~100 m cell keeps its offset.
    expect(derivedOffset(key, 'author-a', { lat: home.lat + 0.0001, lng: home.lng })).toEqual(derivedOffset(key, 'author-a', home));
  });

  it('differs for another author, another place, another key', () => {
    const base = derivedOffset(key, 'author-a', home);
    expect(derivedOffset(key, 'author-b', home)).not.toEqual(base);
    expect(derivedOffset(key, 'author-a', { lat: home.lat + 0.01, lng: home.lng })).not.toEqual(base);
    expect(derivedOffset(new Uint8Array(32).fill(8), 'author-a', home)).not.toEqual(base);
  });

  it('stays within bounds and uses every direction over many places', () => {
    const bearings: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const o = derivedOffset(key, `author-${i % 37}`, { lat: -60 + (i % 1200) * 0.1, lng: -180 + i * 0.036 });
      expect(o.distanceM).toBeGreaterThanOrEqual(PUBLIC_OFFSET_MIN_M);
      expect(o.distanceM).toBeLessThanOrEqual(PUBLIC_OFFSET_MAX_M);
      expect(o.bearingDeg).toBeGreaterThanOrEqual(0);
      expect(o.bearingDeg).toBeLessThan(360);
      bearings.push(o.bearingDeg);
    }
    for (let q = 0; q < 4; q++) {
      expect(bearings.filter((b) => b >= q * 90 && b < (q + 1) * 90).length).toBeGreaterThan(2000);
    }
  });
});

describe('applyOffset', () => {
  it('gives the same point for the same point and offset', () => {
    const p = { lat: 52.52, lng: 13.405 };
    const o = { bearingDeg: 123.4, distanceM: 321 };
    expect(applyOffset(p, o)).toEqual(applyOffset(p, o));
    expect(applyOffset({ ...p }, { ...o })).toEqual(applyOffset(p, o));
  });

  it('lands 150–400 m from the true point everywhere, including near poles and the antimeridian', () => {
    const random = seeded(42);
    for (const p of PLACES) {
      for (let i = 0; i < 200; i++) {
        const o = offsetFromUniform(random(), random());
        const shown = applyOffset(p, o);
        const d = distanceM(p, shown);
        expect(d).toBeCloseTo(o.distanceM, 3);
        expect(d).toBeGreaterThanOrEqual(PUBLIC_OFFSET_MIN_M - 1e-6);
        expect(d).toBeLessThanOrEqual(PUBLIC_OFFSET_MAX_M + 1e-6);
        expect(shown.lat).toBeGreaterThanOrEqual(-90);
        expect(shown.lat).toBeLessThanOrEqual(90);
        expect(shown.lng).toBeGreaterThanOrEqual(-180);
        expect(shown.lng).toBeLessThan(180);
      }
    }
  });

  it('still lands 150–400 m away after rounding for storage', () => {
    const random = seeded(7);
    for (const p of PLACES.slice(0, 4)) {
      const o = offsetFromUniform(random(), random());
      const d = distanceM(p, roundLatLng(applyOffset(p, o)));
      expect(d).toBeGreaterThan(PUBLIC_OFFSET_MIN_M - 0.2);
      expect(d).toBeLessThan(PUBLIC_OFFSET_MAX_M + 0.2);
    }
  });
});

describe('roundLatLng', () => {
  it('rounds to six decimals', () => {
    expect(roundLatLng({ lat: 52.520000_49, lng: 13.404_999_9 })).toEqual({ lat: 52.52, lng: 13.405 });
    expect(roundLatLng({ lat: -33.868_812_6, lng: 151.209_349_6 })).toEqual({ lat: -33.868813, lng: 151.20935 });
  });

  it('rounds mirror-image coordinates alike', () => {
    expect(roundLatLng({ lat: 0.000_000_5, lng: 12.25 })).toEqual({ lat: 0.000001, lng: 12.25 });
    expect(roundLatLng({ lat: -0.000_000_5, lng: -12.25 })).toEqual({ lat: -0.000001, lng: -12.25 });
    for (const x of [33.868_812_5, 1.000_000_5, 151.209_349_6]) {
      expect(roundLatLng({ lat: -x / 2, lng: -x }).lng).toBe(-roundLatLng({ lat: x / 2, lng: x }).lng);
      expect(roundLatLng({ lat: -x / 2, lng: -x }).lat).toBe(-roundLatLng({ lat: x / 2, lng: x }).lat);
    }
  });

  it('is idempotent', () => {
    const once = roundLatLng({ lat: 40.712_775_3, lng: -74.005_972_8 });
    expect(roundLatLng(once)).toEqual(once);
  });

  it('keeps longitude in [-180, 180) and never yields -0', () => {
    expect(roundLatLng({ lat: 0, lng: 179.999_999_9 }).lng).toBe(-180);
    const z = roundLatLng({ lat: -0.000_000_1, lng: -0.000_000_1 });
    expect(Object.is(z.lat, 0)).toBe(true);
    expect(Object.is(z.lng, 0)).toBe(true);
  });

  it('keeps latitude within [-90, 90]', () => {
    expect(roundLatLng({ lat: 90.000_000_1, lng: 0 }).lat).toBe(90);
    expect(roundLatLng({ lat: -90.000_000_1, lng: 0 }).lat).toBe(-90);
  });
});
