// Spherical geodesy for distances and for blurring a post's location.
// A sphere of the WGS84 mean radius is accurate to ~0.5%, plenty for "how far away" and
// for a few-hundred-metre privacy offset.

import { webcrypto } from 'node:crypto';

export interface LatLng {
  lat: number;
  lng: number;
}

export interface Offset {
  bearingDeg: number;
  distanceM: number;
}

export const EARTH_RADIUS_M = 6_371_008.8;
export const PUBLIC_OFFSET_MIN_M = 150;
export const PUBLIC_OFFSET_MAX_M = 400;

const toRad = (deg: number) => (deg * Math.PI) / 180;
const toDeg = (rad: number) => (rad * 180) / Math.PI;

const clampLat = (lat: number) => Math.min(90, Math.max(-90, lat));

/** Longitude into [-180, 180). */
function normaliseLng(lng: number): number {
  // Leave in-range values untouched: the +180/-180 round trip would add float noise.
  const x = lng >= -180 && lng < 180 ? lng : ((((lng + 180) % 360) + 360) % 360) - 180;
  return x === 0 ? 0 : x; // no -0 in stored/compared values
}

/** Great-circle distance in metres (haversine: well-conditioned for short distances). */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = toRad(b.lat - a.lat);
  const dLng = toRad(b.lng - a.lng);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.lat)) * Math.cos(toRad(b.lat)) * Math.sin(dLng / 2) ** 2;
  // Rounding can push h a hair outside [0, 1] for antipodal points, which would give NaN.
  const hc = Math.min(1, Math.max(0, h));
  return 2 * EARTH_RADIUS_M * Math.atan2(Math.sqrt(hc), Math.sqrt(1 - hc));
}

/** The point reached by travelling `distanceM` along a great circle at initial `bearingDeg` (0 = north, clockwise). */
export function destinationPoint(from: LatLng, bearingDeg: number, distanceM: number): LatLng {
  const delta = distanceM / EARTH_RADIUS_M;
  const theta = toRad(bearingDeg);
  const phi1 = toRad(from.lat);
  const lambda1 = toRad(from.lng);

  const sinPhi2 = Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta);
  const phi2 = Math.asin(Math.min(1, Math.max(-1, sinPhi2)));
  const lambda2 =
    lambda1 +
    Math.atan2(
      Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
      Math.cos(delta) - Math.sin(phi1) * sinPhi2,
    );
  return { lat: clampLat(toDeg(phi2)), lng: normaliseLng(toDeg(lambda2)) };
}

/** A uniform float in [0, 1) with 53 random bits from the OS CSPRNG. */
function cryptoRandom(): number {
  const [hi = 0, lo = 0] = webcrypto.getRandomValues(new Uint32Array(2));
  return ((hi >>> 5) * 2 ** 26 + (lo >>> 6)) / 2 ** 53;
}

/**
 * A random offset for a post's public location: bearing uniform in [0, 360), distance
 * uniform in [PUBLIC_OFFSET_MIN_M, PUBLIC_OFFSET_MAX_M].
 *
 * The offset is drawn ONCE when the post is created and stored with it; the public location
 * is always derived from that stored offset. Drawing a fresh offset on every read would let
 * anyone fetch the post repeatedly and average the scattered points back to the real address,
 * because the offsets would centre on it. The minimum distance keeps the true point out of
 * the shown point's immediate vicinity; the crypto source keeps the offset unpredictable.
 */
export function randomOffset(random: () => number = cryptoRandom): Offset {
  const r1 = random();
  const r2 = random();
  for (const r of [r1, r2]) {
    if (!(r >= 0 && r <= 1)) {throw new RangeError(`random() must return a number in [0, 1), got ${r}`);}
  }
  return {
    // `% 360` keeps a sloppy injected random() that returns exactly 1 inside [0, 360).
    bearingDeg: (r1 * 360) % 360,
    distanceM: PUBLIC_OFFSET_MIN_M + r2 * (PUBLIC_OFFSET_MAX_M - PUBLIC_OFFSET_MIN_M),
  };
}

/** The public location shown to everyone but the author: deterministic for a given point and stored offset. */
export function applyOffset(point: LatLng, offset: Offset): LatLng {
  return destinationPoint(point, offset.bearingDeg, offset.distanceM);
}

/** Six decimals (~0.1 m) so stored and displayed values don't drift through float noise. */
export function roundLatLng(p: LatLng): LatLng {
  // Half away from zero (Math.round alone rounds -x.5 up), so mirror-image points round alike.
  const round6 = (x: number) => {
    const r = (Math.sign(x) * Math.round(Math.abs(x) * 1e6)) / 1e6;
    return r === 0 ? 0 : r;
  };
  // Rounding 179.9999999 gives 180, which is outside [-180, 180).
  return { lat: clampLat(round6(p.lat)), lng: normaliseLng(round6(p.lng)) };
}
