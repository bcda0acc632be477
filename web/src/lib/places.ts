// Whether the server has address search and place names (it may run without
// a geocoder): asked once per page load, and again after a failed asking.
import type { Api } from './api';

let available: Promise<boolean> | null = null;

export function placesAvailable(api: Api): Promise<boolean> {
  available ??= api.placesAvailable().catch(() => {
    available = null;
    return false;
  });
  return available;
}

/** "40.67120, -73.94480": a point as shown where no name is known. */
export function pointText(p: { lat: number; lng: number }, digits = 5): string {
  return `${p.lat.toFixed(digits)}, ${p.lng.toFixed(digits)}`;
}
