// A demo neighborhood around Crown Heights, Brooklyn: neighbors with needs
// and offers in every category, one-off and weekly. `npm run seed` (stop the
// server first when it runs on the embedded database) or `npm start -- --demo`.
// Idempotent: a second run finds the demo neighbors and adds nothing.
import { DateTime } from 'luxon';
import { hashPassword } from '../auth/passwords';
import { normalizeEmail, usersRepo } from '../auth/repository';
import { loadConfig } from '../config';
import { createPost, LOCATION_KEY } from '../posts/service';
import { type DB, loadSecret } from '../../db';
import { type CreatePostBody } from '../contract/posts';

export const DEMO_PASSWORD = 'aidmap-demo';
const CENTER = { lat: 40.6782, lng: -73.9442 };
const ZONE = 'America/New_York';

const NEIGHBORS = ['Rosa', 'Malik', 'Ines', 'Dmitri', 'Grace', 'Tomás', 'Aisha', 'Wen', 'Olu', 'Hannah'];

/** A point `north`/`east` metres from the center. */
function near(north: number, east: number) {
  const lat = CENTER.lat + north / 111_195;
  const lng = CENTER.lng + east / (111_195 * Math.cos((CENTER.lat * Math.PI) / 180));
  return { lat: Number(lat.toFixed(6)), lng: Number(lng.toFixed(6)) };
}

type Seed = Omit<CreatePostBody, 'location'> & { who: number; at: [number, number] };

function demoPosts(now: Date): Seed[] {
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  /** A one-off window `days` from today, local hours. */
  const day = (days: number, from: string, to: string) => {
    const d = today.plus({ days });
    const [fh, fm] = from.split(':').map(Number) as [number, number];
    const [th, tm] = to.split(':').map(Number) as [number, number];
    return {
      start: d.set({ hour: fh, minute: fm }).toISO({ suppressMilliseconds: true })!,
      end: d.set({ hour: th, minute: tm }).toISO({ suppressMilliseconds: true })!,
    };
  };
  const weekly = (days: CreatePostBody['recurrence'] extends infer R ? (R extends { days: infer D } ? D : never) : never, startTime: string, endTime: string, weeks = 12) => ({
    days,
    startTime,
    endTime,
    timezone: ZONE,
    until: today.plus({ weeks }).toISODate()!,
  });
  return [
    { who: 0, at: [250, -300], kind: 'need', category: 'ride', title: 'Ride to dialysis at Kings County', description: 'Three mornings a week; I use a walker but no wheelchair.', windows: [], recurrence: weekly(['mon', 'wed', 'fri'], '08:30', '09:15'), details: { destination: near(-1400, -600) } },
    { who: 1, at: [-200, 400], kind: 'offer', category: 'ride', title: 'Driving to downtown Brooklyn weekdays', description: 'Honda with 3 free seats, leaving around 8.', windows: [], recurrence: weekly(['mon', 'tue', 'wed', 'thu', 'fri'], '07:45', '09:00'), capacity: 3, details: { destination: near(2600, -3100), maxDetourM: 3000 } },
    { who: 2, at: [600, 150], kind: 'need', category: 'ride', title: 'Wheelchair ride to the eye doctor', windows: [day(3, '10:00', '12:00')], details: { destination: near(-800, 1900), wheelchair: true } },
    { who: 3, at: [-500, -700], kind: 'offer', category: 'ride', title: 'Accessible van, Saturday errands', description: 'Ramp van, can take one wheelchair.', windows: [], recurrence: weekly(['sat'], '09:00', '13:00'), capacity: 2, radiusM: 5000, details: { wheelchair: true } },
    { who: 4, at: [100, 900], kind: 'need', category: 'ride', title: 'Lift to the food pantry and back', windows: [day(1, '14:00', '16:00')], details: { destination: near(700, 1200) } },
    { who: 5, at: [-900, 200], kind: 'offer', category: 'meal', title: 'Vegetarian Sunday dinners', description: 'Big pot of rice and beans, six servings.', windows: [], recurrence: weekly(['sun'], '17:00', '19:00'), capacity: 6, details: { dietary: ['vegetarian', 'nut-free'] } },
    { who: 6, at: [350, -450], kind: 'need', category: 'meal', title: 'Halal meals for a family of 4 after surgery', windows: [day(1, '18:00', '20:00'), day(2, '18:00', '20:00'), day(3, '18:00', '20:00')], capacity: 4, details: { dietary: ['halal'] } },
    { who: 7, at: [-300, -100], kind: 'offer', category: 'meal', title: 'Extra soup on Wednesdays', windows: [], recurrence: weekly(['wed'], '12:00', '14:00'), capacity: 4, details: { dietary: ['vegan', 'gluten-free', 'dairy-free', 'vegetarian'] } },
    { who: 8, at: [800, 600], kind: 'need', category: 'meal', title: 'Gluten-free dinners this week', description: 'Celiac; recovering from the flu.', windows: [day(0, '17:00', '21:00'), day(1, '17:00', '21:00')], capacity: 1, details: { dietary: ['gluten-free'] } },
    { who: 9, at: [-650, 850], kind: 'offer', category: 'meal', title: 'Kosher challah and soup Fridays', windows: [], recurrence: weekly(['fri'], '13:00', '16:00'), capacity: 5, details: { dietary: ['kosher', 'dairy-free'] } },
    { who: 0, at: [450, 700], kind: 'need', category: 'tutoring', title: 'Algebra help for my daughter (8th grade)', windows: [], recurrence: weekly(['tue', 'thu'], '16:00', '17:30'), details: { subject: 'Math', level: '8th grade', languages: ['en', 'es'], mode: 'either' } },
    { who: 1, at: [-150, -850], kind: 'offer', category: 'tutoring', title: 'Math and physics tutoring, online or at the library', windows: [], recurrence: weekly(['tue', 'thu', 'sat'], '15:00', '19:00'), capacity: 2, details: { subject: 'math', languages: ['en-US'], mode: 'either' } },
    { who: 2, at: [950, -300], kind: 'need', category: 'tutoring', title: 'English conversation practice', description: 'New in the city, learning English.', windows: [], recurrence: weekly(['mon', 'wed'], '18:00', '19:00'), details: { subject: 'English', level: 'beginner', languages: ['es', 'en'], mode: 'remote' } },
    { who: 3, at: [-400, 1200], kind: 'offer', category: 'tutoring', title: 'ESL tutor, Spanish speaker', windows: [], recurrence: weekly(['mon', 'wed', 'sat'], '17:00', '20:00'), capacity: 3, details: { subject: 'english', languages: ['es', 'en'], mode: 'remote' } },
    { who: 4, at: [200, -1000], kind: 'offer', category: 'tutoring', title: 'Reading help for early readers', windows: [day(2, '15:30', '17:00'), day(9, '15:30', '17:00')], capacity: 2, details: { subject: 'Reading', level: 'K-2', languages: ['en', 'fr'], mode: 'in_person' } },
    { who: 5, at: [700, -800], kind: 'need', category: 'grocery', title: 'Weekly grocery pickup from the Key Food', description: 'List ready; I pay by card on pickup.', windows: [], recurrence: weekly(['thu'], '10:00', '14:00') },
    { who: 6, at: [-750, -350], kind: 'offer', category: 'grocery', title: 'I shop at Trader Joe’s on Saturdays — can bring yours', windows: [], recurrence: weekly(['sat'], '10:00', '12:00') },
    { who: 7, at: [1100, 300], kind: 'need', category: 'grocery', title: 'Groceries while I am quarantined', windows: [day(1, '09:00', '18:00')] },
    { who: 8, at: [-1000, -600], kind: 'need', category: 'errand', title: 'Pick up a prescription at Walgreens', windows: [day(1, '11:00', '17:00')] },
    { who: 9, at: [300, 1500], kind: 'offer', category: 'errand', title: 'Post office and pharmacy runs on weekday lunch', windows: [], recurrence: weekly(['mon', 'tue', 'wed', 'thu', 'fri'], '12:00', '13:00') },
    { who: 0, at: [-1200, 100], kind: 'need', category: 'errand', title: 'Mail a package to my grandson', windows: [day(2, '09:00', '12:00')] },
    { who: 1, at: [500, -1300], kind: 'need', category: 'childcare', title: 'Sitter for two kids during a job interview', windows: [day(4, '09:00', '12:00')] },
    { who: 2, at: [-350, 650], kind: 'offer', category: 'childcare', title: 'After-school care, Tuesdays', description: 'Retired teacher; can do homework and snacks.', windows: [], recurrence: weekly(['tue'], '15:00', '18:00') },
    { who: 3, at: [1300, -100], kind: 'need', category: 'childcare', title: 'School pickup on Friday', windows: [day(5, '14:45', '15:30')] },
    { who: 4, at: [-600, 1000], kind: 'need', category: 'repair', title: 'Leaky kitchen faucet', windows: [day(2, '10:00', '16:00'), day(3, '10:00', '16:00')] },
    { who: 5, at: [400, 350], kind: 'offer', category: 'repair', title: 'Handyman: shelves, faucets, bike repairs', windows: [], recurrence: weekly(['sat', 'sun'], '10:00', '15:00'), radiusM: 4000 },
    { who: 6, at: [-1400, 700], kind: 'need', category: 'repair', title: 'Wheelchair tire needs fixing', windows: [day(1, '10:00', '18:00')] },
    { who: 7, at: [900, -1100], kind: 'offer', category: 'lending', title: 'Lending a folding wheelchair', windows: [day(0, '09:00', '20:00'), day(7, '09:00', '20:00')] },
    { who: 8, at: [-250, 1400], kind: 'need', category: 'lending', title: 'Borrow a drill for an afternoon', windows: [day(3, '13:00', '18:00')] },
    { who: 9, at: [150, -600], kind: 'offer', category: 'lending', title: 'Kids’ books and a car seat to lend', windows: [], recurrence: weekly(['wed', 'sun'], '10:00', '18:00') },
    { who: 0, at: [-800, -1200], kind: 'offer', category: 'companionship', title: 'Phone calls or a walk with an older neighbor', description: 'I speak English and Haitian Creole.', windows: [], recurrence: weekly(['mon', 'thu'], '14:00', '16:00') },
    { who: 1, at: [1000, 1000], kind: 'need', category: 'companionship', title: 'Someone to sit with my mother on Sundays', windows: [], recurrence: weekly(['sun'], '13:00', '15:00') },
    { who: 2, at: [-1100, 1300], kind: 'need', category: 'companionship', title: 'Walking buddy after hip surgery', windows: [day(2, '08:00', '09:00'), day(4, '08:00', '09:00')] },
    { who: 3, at: [600, -1500], kind: 'offer', category: 'other', title: 'Help filling in forms (benefits, housing)', description: 'Spanish and English.', windows: [], recurrence: weekly(['sat'], '11:00', '14:00') },
    { who: 4, at: [-50, 50], kind: 'need', category: 'other', title: 'Help setting up a new phone', windows: [day(1, '15:00', '18:00')] },
    { who: 5, at: [-1300, -1000], kind: 'offer', category: 'other', title: 'Snow shoveling on the block', windows: [day(6, '07:00', '11:00')] },
  ];
}

/** Seeds the demo neighbors and their posts unless they exist. */
export async function seedDemo(db: DB, now = new Date()): Promise<{ users: number; posts: number; skipped: boolean }> {
  const first = normalizeEmail('rosa@demo.aidmap.example');
  if (await usersRepo.findByEmail(db, first)) {
    return { users: 0, posts: 0, skipped: true };
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const locationKey = await loadSecret(db, LOCATION_KEY);
  const users = [];
  for (const name of NEIGHBORS) {
    const email = normalizeEmail(`${name.normalize('NFD').replace(/[^A-Za-z]/g, '')}@demo.aidmap.example`);
    const user = await usersRepo.create(db, { email, passwordHash, displayName: name });
    if (!user) {
      throw new Error(`demo user ${email} exists already`);
    }
    users.push(user);
  }
  const seeds = demoPosts(now);
  for (const { who, at, ...body } of seeds) {
    await createPost(db, users[who]!, { ...body, location: near(at[0], at[1]) }, { now, locationKey });
  }
  return { users: users.length, posts: seeds.length, skipped: false };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { openDatabase } = await import('../../db');
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  try {
    const summary = await seedDemo(database.db);
    console.log(
      summary.skipped
        ? 'The demo neighborhood is already there.'
        : `Seeded ${summary.users} neighbors and ${summary.posts} posts around Crown Heights, Brooklyn. Sign in as rosa@demo.aidmap.example / ${DEMO_PASSWORD}.`,
    );
  } finally {
    await database.close();
  }
}
