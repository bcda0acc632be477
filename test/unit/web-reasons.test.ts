import { beforeAll, describe, expect, it } from 'vitest';
import { reasonsOf, reasonText } from '../../web/src/lib/reasons';
import type { Candidate } from '../../web/src/lib/api';
import { loadMessages } from '../../web/src/lib/i18n';

// Spanish comes in a chunk of its own (lib/i18n.ts), as the app loads it before mounting.
beforeAll(() => loadMessages('es'));

// Intl's spaces vary by ICU version (U+202F, U+2009): compared as plain.
const plain = (s: string) => s.replace(/[\u2009\u202f\u00a0]/g, ' ').replace(/\s*–\s*/g, ' – ');

describe('a candidate’s reasons in the reader’s words (web/src/lib/reasons.ts)', () => {
  // Tuesday 8:00–12:00 and 9:00–11:00 in New York (UTC−5).
  const theirs = { start: '2026-12-08T13:00:00Z', end: '2026-12-08T17:00:00Z' };
  const yours = { start: '2026-12-08T14:00:00Z', end: '2026-12-08T16:00:00Z' };

  it('distances, languages, diets and busy helpers, in English and in Spanish', () => {
    expect(reasonText({ code: 'distance', m: 1200 }, 'en')).toBe('1.2 km away');
    expect(reasonText({ code: 'distance', m: 1200 }, 'es')).toBe('a 1,2 km');
    expect(reasonText({ code: 'distance', m: 0 }, 'es')).toBe('a menos de 100 m');
    expect(reasonText({ code: 'distance', m: 600 }, 'en')).toBe('600 m away');
    expect(reasonText({ code: 'speaks', languages: ['es', 'en'] }, 'en')).toBe('speaks Spanish and English');
    expect(reasonText({ code: 'speaks', languages: ['es', 'en'] }, 'es')).toBe('habla español e inglés');
    expect(reasonText({ code: 'covers', dietary: ['vegetarian', 'nut-free'] }, 'en')).toBe('covers vegetarian and nut-free');
    expect(reasonText({ code: 'busy', n: 1 }, 'es')).toMatch(/^ya ayuda a 1 vecino esta semana/);
    expect(reasonText({ code: 'busy', n: 3 }, 'en')).toMatch(/^already helping 3 neighbors this week/);
    expect(reasonText({ code: 'withinArea', m: 6000 }, 'es')).toBe('recogida y destino dentro de su zona de 6 km');
  });

  it('times on the reader’s clock: theirs with the day, one’s own without it on the same day', () => {
    const NY = 'America/New_York';
    expect(plain(reasonText({ code: 'free', theirs, yours }, 'en', NY))).toMatch(/^free Tue,? 8:00 AM – 12:00 PM; you need 9:00 – 11:00 AM$/);
    expect(plain(reasonText({ code: 'needs', theirs: yours, yours: theirs }, 'es', NY))).toMatch(/^lo necesita mar,? 9:00 – 11:00; estás disponible 8:00 – 12:00$/);
    // Across midnight on the reader's clock, one's own times say their day too.
    const late = { start: '2026-12-09T03:00:00Z', end: '2026-12-09T06:00:00Z' };
    expect(plain(reasonText({ code: 'free', theirs: late, yours: late }, 'en', NY))).toMatch(/you need .*Tue, 10:00 PM – .*Wed, 1:00 AM$/);
  });

  it('a copy kept offline before the codes came reads as the server wrote it', () => {
    const old = { reasons: ['0.5 km away'] } as unknown as Candidate;
    expect(reasonsOf(old, 'es')).toEqual(['0.5 km away']);
  });
});
