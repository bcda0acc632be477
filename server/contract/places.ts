import Type, { type Static } from 'typebox';
import { MAIL_LOCALES } from './auth';
import { StringEnum } from './types';

/** The languages names are asked in: the app's own (a geocoder without them answers in the place's own). */
const Lang = StringEnum(MAIL_LOCALES, { description: 'the language names are wanted in; default en' });
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lng = Type.Number({ minimum: -180, maximum: 180 });

export const PlaceSearchQuerySchema = Type.Object(
  {
    q: Type.String({ minLength: 3, maxLength: 200, description: 'an address or a place, as a person writes it' }),
    lat: Type.Optional({ ...Lat, description: 'where the map is: results near it come first (with lng)' }),
    lng: Type.Optional(Lng),
    lang: Type.Optional(Lang),
  },
  { additionalProperties: false },
);
export type PlaceSearchQuery = Static<typeof PlaceSearchQuerySchema>;

export const PlaceResultSchema = Type.Object({
  /** The address as a person reads it ("1520 Sterling Place, Crown Heights, New York 11213"). */
  label: Type.String(),
  lat: Lat,
  lng: Lng,
});
export type PlaceResult = Static<typeof PlaceResultSchema>;

export const PlaceSearchReplySchema = Type.Object({ items: Type.Array(PlaceResultSchema) });

export const PlaceNameQuerySchema = Type.Object({ lat: Lat, lng: Lng, lang: Type.Optional(Lang) }, { additionalProperties: false });
export type PlaceNameQuery = Static<typeof PlaceNameQuerySchema>;

/** A point's address; null when the geocoder knows none there (the sea, a field). */
export const PlaceNameReplySchema = Type.Object({ name: Type.Union([Type.String(), Type.Null()]) });

export const PostPlaceQuerySchema = Type.Object({ lang: Type.Optional(Lang) }, { additionalProperties: false });

/**
 * A post's places as the viewer may read them: with `exact`, the addresses
 * of its true place and destination (the author and those entitled to
 * them); otherwise names of its public points made only of their street,
 * neighbourhood and town, never a house number, a building or a postcode.
 */
export const PostPlaceReplySchema = Type.Object({
  exact: Type.Boolean(),
  location: Type.Union([Type.String(), Type.Null()]),
  /** Present when the post has a destination (a ride). */
  destination: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type PostPlace = Static<typeof PostPlaceReplySchema>;

/** Whether this server has address search and place names (GEOCODER_URL is set). */
export const PlacesStatusSchema = Type.Object({ available: Type.Boolean() });
