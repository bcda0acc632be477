// Spherical geodesy for distances and for blurring a post's location.
// A sphere of the WGS84 mean radius is accurate to ~0.5%, plenty for "how far away" and
// for a few-hundred-metre privacy offset.

import { createHmac } from 'node:crypto';

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

/**
 * Maps two numbers uniform in [0, 1) to an offset: bearing uniform in [0, 360),
 * distance uniform in [PUBLIC_OFFSET_MIN_M, PUBLIC_OFFSET_MAX_M]. The minimum keeps
 * the true point out of the shown point's immediate vicinity.
 */
export function offsetFromUniform(u1: number, u2: number): Offset {
  for (const u of [u1, u2]) {
    if (!(u >= 0 && u <= 1)) {
      throw new RangeError(`expected a number in [0, 1), got ${u}`);
    }
  }
  return {
    // `% 360` keeps an input of exactly 1 inside [0, 360).
    bearingDeg: (u1 * 360) % 360,
    distanceM: PUBLIC_OFFSET_MIN_M + u2 * (PUBLIC_OFFSET_MAX_M - PUBLIC_OFFSET_MIN_M),
  };
}

/** The grid a place is snapped to before its offset is derived: 0.001° (about 111 m north–south). */
export const OFFSET_CELL_DEG = 0.001;

/**
 * The offset that turns a point into its public location, derived rather than
 * drawn: HMAC-SHA256(key, scope and the point's grid cell).
 *  - The same scope (an author) at the same place always gets the same public
 *    point, however many posts or edits it makes: there is nothing to average.
 *    (Independent random offsets per post would let one neighbor's many posts
 *    from home average back to the address.)
 *  - Another place, or another author at the same place, gets an unrelated
 *    offset, so learning one exact/public pair reveals nothing about another.
 *  - Without the server's key the offset cannot be computed.
 */
export function derivedOffset(key: Uint8Array, scope: string, point: LatLng): Offset {
  const cell = `${Math.round(point.lat / OFFSET_CELL_DEG)}:${Math.round(point.lng / OFFSET_CELL_DEG)}`;
  const mac = createHmac('sha256', key).update(`${scope}|${cell}`).digest();
  return offsetFromUniform(mac.readUInt32BE(0) / 2 ** 32, mac.readUInt32BE(4) / 2 ** 32);
}

/** The public location shown to everyone but the author: deterministic for a given point and offset. */
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
