// Lat/lng boxes as listings and live subscriptions take them: [west, south,
// east, north] in degrees, a west edge east of the east edge crossing the
// antimeridian. No imports: the web app uses these too.

/** What is wrong with a box, as messages a person can act on; empty when it is fine. */
export function bboxProblems(west: number, south: number, east: number, north: number): string[] {
  const problems: string[] = [];
  if (Math.abs(west) > 180 || Math.abs(east) > 180) {
    problems.push('west and east must be longitudes between -180 and 180');
  }
  if (Math.abs(south) > 90 || Math.abs(north) > 90) {
    problems.push('south and north must be latitudes between -90 and 90');
  }
  if (south > north) {
    problems.push('south must not be greater than north');
  }
  return problems;
}

/** Whether (lat, lng) lies in the box. */
export function inBBox([west, south, east, north]: readonly [number, number, number, number], lat: number, lng: number): boolean {
  return lat >= south && lat <= north && (west <= east ? lng >= west && lng <= east : lng >= west || lng <= east);
}
