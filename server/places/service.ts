// Readable places: search, the name of a point being chosen, and the names
// of a post's places as the viewer may read them. A post's names are made
// from the post exactly as the viewer is given it (postView): those not
// entitled to its true place get names of its public points, built only of
// street, neighbourhood and town (names.ts), and the geocoder is never asked
// about the true place on their behalf.
import type { DB } from '../../db';
import { isBlocked, isModerator, isSuspended, organizedPostIds, organizesHome } from '../access';
import { notFound } from '../http/problem';
import type { SessionUser } from '../auth/repository';
import { getPost } from '../posts/service';
import type { PostRow } from '../posts/repository';
import { postView } from '../posts/view';
import type { LatLng } from '../geo/geo';
import type { PlaceResult, PostPlace } from '../contract/places';
import type { Geocoder, Lookup } from './geocoder';
import { approximateName, fullName } from './names';
import { placesRepo } from './repository';

/**
 * The post as GET /api/posts/:id gives it to this viewer (the same 404s:
 * blocked, hidden, suspended), and whether they may see its true place: its
 * author, the organizers its author's membership entitles, a platform
 * moderator looking at a post gone from sight, and the other party of an
 * accepted or completed match.
 */
export async function readablePost(db: DB, id: string, user: SessionUser | null): Promise<{ row: PostRow; exact: boolean }> {
  const row = await getPost(db, id);
  const own = user !== null && row.authorId === user.id;
  if (user && !own && (await isBlocked(db, user.id, row.authorId))) {
    throw notFound('There is no post with this id.');
  }
  const organized = user !== null && !own && (await organizedPostIds(db, user.id, [row.id])).has(row.id);
  const gone = (row.hiddenAt !== null && !(user && (await organizesHome(db, user.id, row.id)))) || (await isSuspended(db, row.authorId));
  const moderating = gone && !own && user !== null && (await isModerator(db, user.id));
  if (gone && !own && !organized && !moderating) {
    throw notFound('There is no post with this id.');
  }
  const party = user !== null && !own && !organized && !moderating && (await placesRepo.acceptedPartyOf(db, user.id, row.id));
  return { row, exact: own || organized || moderating || party };
}

/** Whose cache a lookup goes in: a person's own points are theirs alone (geocoder.ts, Lookup.scope). */
const personal = (user: SessionUser) => `user:${user.id}`;

/** The names of a post's place (and destination) for this viewer. */
export async function postPlace(db: DB, geocoder: Geocoder, id: string, user: SessionUser | null, lang: string, beforeRequest: () => Promise<void>, now: Date): Promise<PostPlace> {
  const { row, exact } = await readablePost(db, id, user);
  // The post as this viewer sees it: exact points for the entitled, public points for everyone else.
  const shown = postView(row, exact ? user : null, now, exact);
  const destination = (shown.details as { destination?: LatLng }).destination;
  const name = async (point: LatLng) => {
    if (exact && user) {
      return fullName((await geocoder.reverse(point, 18, { scope: personal(user), lang, beforeRequest })) ?? {});
    }
    // Street level, not a building: a public point's house says nothing true, and its number is never shown.
    return approximateName((await geocoder.reverse(point, 17, { scope: 'public', lang, beforeRequest })) ?? {});
  };
  return {
    exact,
    location: await name(shown.location),
    ...(destination ? { destination: await name(destination) } : {}),
  };
}

/** The address at a point someone is choosing (their own point: their whole address). */
export async function pointName(geocoder: Geocoder, point: LatLng, user: SessionUser, lang: string, beforeRequest: () => Promise<void>): Promise<string | null> {
  const place = await geocoder.reverse(point, 18, { scope: personal(user), lang, beforeRequest });
  return place ? fullName(place) : null;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Places matching what someone wrote, with the address to show for each. */
export async function searchPlaces(geocoder: Geocoder, q: string, near: LatLng | undefined, user: SessionUser, lookup: Omit<Lookup, 'scope'>): Promise<PlaceResult[]> {
  const found = await geocoder.search(q, near, { ...lookup, scope: personal(user) });
  const out: PlaceResult[] = [];
  for (const place of found) {
    const lat = Number(place.lat);
    const lng = Number(place.lon);
    const label = fullName(place);
    if (label && Number.isFinite(lat) && Number.isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
      out.push({ label, lat: round6(lat), lng: round6(lng) });
    }
  }
  return out;
}
