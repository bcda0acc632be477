// Thousands of open posts in one area, fast: copies of the posts a server
// already holds (made through its API or its demo), each moved to a random
// point of the area, with their windows. Used by bench:web and bench:api.
import postgres from 'postgres';

export interface Area {
  /** The centre. */
  lat: number;
  lng: number;
  /** Half the area's height and width, in degrees. */
  spread: { lat: number; lng: number };
}

/** Copies the open posts (and their windows) until `total` are open, each copy moved to a random point in `area`. */
export async function seedCopies(databaseUrl: string, total: number, area: Area): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM posts WHERE status = 'open'`;
    const n = row!.n;
    if (n === 0 || n >= total) {
      return;
    }
    const copies = Math.ceil((total - n) / n);
    await sql.begin(async (tx) => {
      await tx`SELECT setseed(0.42)`;
      await tx`CREATE TEMP TABLE seed_posts ON COMMIT DROP AS
        SELECT p.*, gen_random_uuid() AS new_id FROM posts p, generate_series(1, ${copies}) WHERE p.status = 'open'`;
      await tx`DELETE FROM seed_posts WHERE new_id IN (SELECT new_id FROM seed_posts ORDER BY new_id OFFSET ${total - n})`;
      await tx`UPDATE seed_posts SET
          public_location = ST_SetSRID(ST_MakePoint(${area.lng}::float8 + (random() * 2 - 1) * ${area.spread.lng}::float8,
            ${area.lat}::float8 + (random() * 2 - 1) * ${area.spread.lat}::float8), 4326)::geography`;
      await tx`UPDATE seed_posts SET location = ST_Project(public_location, 200, radians(random() * 360))`;
      await tx`CREATE TEMP TABLE seed_map ON COMMIT DROP AS SELECT id AS old_id, new_id FROM seed_posts`;
      await tx`UPDATE seed_posts SET id = new_id`;
      await tx`ALTER TABLE seed_posts DROP COLUMN new_id`;
      await tx`INSERT INTO posts SELECT * FROM seed_posts`;
      await tx`INSERT INTO post_windows (post_id, during, recurring)
        SELECT m.new_id, w.during, w.recurring FROM seed_map m JOIN post_windows w ON w.post_id = m.old_id`;
    });
    await sql`ANALYZE posts`;
    await sql`ANALYZE post_windows`;
  } finally {
    await sql.end();
  }
}
