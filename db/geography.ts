import { customType } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

export interface LatLng {
  lat: number;
  lng: number;
}

/**
 * Reads the hex EWKB that PostgreSQL sends for a `geography(Point,4326)`
 * value (the type's text output; both postgres.js and PGlite pass it through
 * as a string). Layout: byte order, uint32 type (0x20000000 flags an SRID),
 * optional uint32 SRID, then x (lng) and y (lat) as float64.
 * See https://postgis.net/docs/using_postgis_dbmanagement.html#EWKB_EWKT
 */
export function parsePointEwkb(hex: string): LatLng {
  const buf = Buffer.from(hex, 'hex');
  const little = buf.readUInt8(0) === 1;
  const type = little ? buf.readUInt32LE(1) : buf.readUInt32BE(1);
  if ((type & 0xff) !== 1) {
    throw new Error(`expected a WKB point, got geometry type ${type & 0xff}`);
  }
  const offset = type & 0x20000000 ? 9 : 5;
  const x = little ? buf.readDoubleLE(offset) : buf.readDoubleBE(offset);
  const y = little ? buf.readDoubleLE(offset + 8) : buf.readDoubleBE(offset + 8);
  return { lat: y, lng: x };
}

/** SQL for a geography point from a lat/lng, parameters bound (never interpolated). */
export function pointSql(p: LatLng) {
  return sql`ST_SetSRID(ST_MakePoint(${p.lng}, ${p.lat}), 4326)::geography`;
}

/**
 * `geography(Point,4326)`. drizzle-kit quotes this type name in generated
 * migrations (STACK.md, trap 1); db/fix-migrations.ts unquotes it after every
 * `npm run db:generate`, and a fresh-database migration test catches a miss.
 */
export const geographyPoint = customType<{ data: LatLng; driverData: string }>({
  dataType() {
    return 'geography(Point,4326)';
  },
  toDriver(value) {
    return pointSql(value);
  },
  fromDriver(value) {
    return parsePointEwkb(value);
  },
});

/** `tstzrange`, always half-open `[start, end)`; written only (queries compare ranges in SQL). */
export const tstzrange = customType<{ data: { start: Date; end: Date }; driverData: string }>({
  dataType() {
    return 'tstzrange';
  },
  toDriver(value) {
    return sql`tstzrange(${value.start.toISOString()}::timestamptz, ${value.end.toISOString()}::timestamptz, '[)')`;
  },
});

/**
 * `tstzmultirange`: a post's whole schedule in one value (range_agg of its
 * post_windows), so one GiST index holds category, kind, place and time.
 * Maintained in SQL by postsRepo; never written from JS.
 */
export const tstzmultirange = customType<{ data: string; driverData: string }>({
  dataType() {
    return 'tstzmultirange';
  },
});

/** A GeoJSON Polygon or MultiPolygon, positions `[lng, lat]`. */
export interface GeoJsonArea {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: number[][][] | number[][][][];
}

/**
 * `geography(MultiPolygon,4326)`: a community's boundary. Written from
 * GeoJSON (a Polygon becomes a one-part MultiPolygon); read back with
 * `ST_AsGeoJSON` in the query that needs it, never as the raw column.
 */
export const geographyArea = customType<{ data: GeoJsonArea; driverData: string }>({
  dataType() {
    return 'geography(MultiPolygon,4326)';
  },
  toDriver(value) {
    return sql`ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(value)}), 4326))::geography`;
  },
});
