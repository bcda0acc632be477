// Readable names from a Nominatim answer (pure). Two kinds: the full
// address of a point a person may see exactly, and the approximate name of
// a public point, built from an allow-list of address parts (street,
// neighbourhood, town) so that nothing finer — a house number, a building's
// or a shop's name, a postcode — can reach those not entitled to the place,
// whatever else a geocoder puts in its answer.
// Field names: https://nominatim.org/release-docs/latest/api/Output/#addressdetails

/** A place in Nominatim's JSON (format=jsonv2, addressdetails=1), as far as we read it. */
export interface NominatimPlace {
  lat?: string;
  lon?: string;
  name?: string;
  display_name?: string;
  address?: Record<string, string>;
}

/** Parts naming the street (Nominatim files most ways under `road`; squares and paths under their own). */
const STREET = ['road', 'pedestrian', 'square', 'footway', 'path', 'cycleway'];
/** Parts naming the neighbourhood, finest first. */
const QUARTER = ['neighbourhood', 'quarter', 'suburb', 'borough', 'city_district'];
/** Parts naming the town. */
const TOWN = ['city', 'town', 'village', 'hamlet', 'municipality'];

function first(address: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = address[key]?.trim();
    if (value) {
      return value;
    }
  }
  return undefined;
}

/** The parts in order, blanks and repeats left out, joined with commas. */
function join(parts: (string | undefined)[]): string | null {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of parts) {
    if (part && !seen.has(part.toLowerCase())) {
      seen.add(part.toLowerCase());
      out.push(part);
    }
  }
  return out.length > 0 ? out.join(', ') : null;
}

/**
 * "Sterling Place, Crown Heights, New York": the street, the neighbourhood
 * and the town of a point, and nothing else of the answer — never
 * `house_number`, `house_name`, `building`, an amenity's name, `postcode`,
 * `name` or `display_name`. Null when none of the three is known.
 */
export function approximateName(place: NominatimPlace): string | null {
  const address = place.address ?? {};
  return join([first(address, STREET), first(address, QUARTER), first(address, TOWN)]);
}

/**
 * "Brooklyn Museum, 200 Eastern Parkway, Prospect Heights, New York 11238":
 * a point's whole address, for those who may see the point itself (its
 * author, the people entitled to it, someone choosing a place).
 */
export function fullName(place: NominatimPlace): string | null {
  const address = place.address ?? {};
  const street = first(address, STREET);
  const number = address.house_number?.trim();
  const line = street ? (number ? `${number} ${street}` : street) : undefined;
  const town = first(address, TOWN);
  const postcode = address.postcode?.trim();
  const name = place.name?.trim();
  return (
    join([
      name && name !== street ? name : undefined,
      line,
      first(address, QUARTER),
      town ? (postcode ? `${town} ${postcode}` : town) : postcode,
    ]) ??
    place.display_name?.trim() ??
    null
  );
}
