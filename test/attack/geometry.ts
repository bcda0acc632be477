// The attacker's arithmetic: least-squares positions from distances, circles
// of a known radius through boundary points, and reflections — on the same
// sphere as the server's distances (server/geo: haversine).
import { destinationPoint, distanceM, EARTH_RADIUS_M, type LatLng } from '../../server/geo/geo';

const M_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180;

/** Local metres east/north of `origin` (an equirectangular view, exact enough within a few km once re-centred). */
export function toLocal(origin: LatLng, p: LatLng): [number, number] {
  return [(p.lng - origin.lng) * M_PER_DEG * Math.cos((origin.lat * Math.PI) / 180), (p.lat - origin.lat) * M_PER_DEG];
}

export function fromLocal(origin: LatLng, [e, n]: [number, number]): LatLng {
  return { lat: origin.lat + n / M_PER_DEG, lng: origin.lng + e / (M_PER_DEG * Math.cos((origin.lat * Math.PI) / 180)) };
}

/**
 * The point whose distances to `anchors` best match `distances` (Gauss–Newton,
 * started at `guess`, re-centred each step). With one distance per anchor it
 * is trilateration; with every distance equal to a radius, a circle's centre.
 */
export function leastSquares(anchors: LatLng[], distances: number[], guess: LatLng, iterations = 30): LatLng {
  let x = guess;
  for (let it = 0; it < iterations; it++) {
    // Normal equations of the linearised residuals r_i = |x − a_i| − d_i.
    let [a11, a12, a22, b1, b2] = [0, 0, 0, 0, 0];
    anchors.forEach((anchor, i) => {
      const [e, n] = toLocal(x, anchor);
      const d = Math.hypot(e, n) || 1e-9;
      const r = distanceM(x, anchor) - distances[i]!;
      // d|x − a|/dx = (x − a)/|x − a| = −(e, n)/d in x's local frame.
      const [je, jn] = [-e / d, -n / d];
      a11 += je * je;
      a12 += je * jn;
      a22 += jn * jn;
      b1 += je * r;
      b2 += jn * r;
    });
    const det = a11 * a22 - a12 * a12;
    if (Math.abs(det) < 1e-12) {
      break;
    }
    const de = -(a22 * b1 - a12 * b2) / det;
    const dn = -(a11 * b2 - a12 * b1) / det;
    x = fromLocal(x, [de, dn]);
    if (Math.hypot(de, dn) < 0.01) {
      break;
    }
  }
  return x;
}

/** Root mean square of a fit's residuals: how far its distances miss the ones measured. */
export function rmsResidual(x: LatLng, anchors: LatLng[], distances: number[]): number {
  return Math.sqrt(anchors.reduce((s, a, i) => s + (distanceM(x, a) - distances[i]!) ** 2, 0) / anchors.length);
}

/** `p` reflected across the line through `a` and `b`. */
export function reflect(p: LatLng, a: LatLng, b: LatLng): LatLng {
  const [bx, by] = toLocal(a, b);
  const [px, py] = toLocal(a, p);
  const len2 = bx * bx + by * by;
  const t = (px * bx + py * by) / len2;
  const [fx, fy] = [t * bx, t * by]; // foot of the perpendicular
  return fromLocal(a, [2 * fx - px, 2 * fy - py]);
}

export function toward(from: LatLng, to: LatLng, fraction: number): LatLng {
  const [e, n] = toLocal(from, to);
  return fromLocal(from, [e * fraction, n * fraction]);
}

export { destinationPoint, distanceM };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
