import { describe, expect, it } from 'vitest';
import { isLanguageTag, type PostInput, validateDetails, validatePost } from '../../server/posts/validate';

const NOW = new Date('2026-12-01T12:00:00Z');

function post(overrides: Partial<PostInput> = {}): PostInput {
  return {
    kind: 'offer',
    category: 'other',
    title: 'Help',
    location: { lat: 40.68, lng: -73.94 },
    radiusM: 2000,
    windows: [{ start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z' }],
    capacity: 1,
    details: {},
    ...overrides,
  };
}

const paths = (errors: { path: string }[]) => errors.map((e) => e.path);

describe('category details', () => {
  it('ride: destination, wheelchair and maxDetourM; a need must name its destination', () => {
    expect(validateDetails('offer', 'ride', {})).toEqual([]);
    expect(validateDetails('offer', 'ride', { wheelchair: true, maxDetourM: 3000 })).toEqual([]);
    expect(validateDetails('need', 'ride', { destination: { lat: 40.7, lng: -73.9 } })).toEqual([]);
    expect(paths(validateDetails('need', 'ride', { wheelchair: true }))).toEqual(['/details/destination']);
    expect(paths(validateDetails('offer', 'ride', { wheelchair: 'yes' }))).toEqual(['/details/wheelchair']);
    expect(paths(validateDetails('offer', 'ride', { maxDetourM: -1 }))).toEqual(['/details/maxDetourM']);
    expect(paths(validateDetails('offer', 'ride', { destination: { lat: 95, lng: 0 } }))).toEqual(['/details/destination/lat']);
    expect(paths(validateDetails('offer', 'ride', { seats: 3 }))).toEqual(['/details/seats']);
  });

  it('meal: dietary tags from the list, each once', () => {
    expect(validateDetails('need', 'meal', { dietary: ['vegan', 'nut-free'] })).toEqual([]);
    expect(validateDetails('need', 'meal', {})).toEqual([]);
    const unknown = validateDetails('need', 'meal', { dietary: ['vegan', 'paleo'] });
    expect(unknown).toEqual([
      { path: '/details/dietary/1', message: 'must be one of: vegetarian, vegan, halal, kosher, gluten-free, nut-free, dairy-free', code: 'enum' },
    ]);
    expect(paths(validateDetails('need', 'meal', { dietary: ['vegan', 'vegan'] }))).toEqual(['/details/dietary']);
    expect(paths(validateDetails('need', 'meal', { dietary: 'vegan' }))).toEqual(['/details/dietary']);
  });

  it('tutoring: a subject, BCP 47 languages, a known mode', () => {
    expect(validateDetails('need', 'tutoring', { subject: 'Math', level: 'grade 8', languages: ['es', 'en-US', 'zh-Hant'], mode: 'remote' })).toEqual([]);
    expect(paths(validateDetails('need', 'tutoring', {}))).toEqual(['/details/subject']);
    expect(paths(validateDetails('need', 'tutoring', { subject: '  ' }))).toEqual(['/details/subject']);
    expect(paths(validateDetails('need', 'tutoring', { subject: 'Math', languages: ['en', 'english!'] }))).toEqual(['/details/languages/1']);
    expect(paths(validateDetails('need', 'tutoring', { subject: 'Math', mode: 'online' }))).toEqual(['/details/mode']);
  });

  it('other categories take no details', () => {
    for (const category of ['grocery', 'errand', 'childcare', 'repair', 'lending', 'companionship', 'other'] as const) {
      expect(validateDetails('need', category, {})).toEqual([]);
      expect(validateDetails('need', category, { subject: 'x' })).toEqual([
        { path: '/details/subject', message: `is not a detail a ${category} post takes`, code: 'unknown_field' },
      ]);
    }
  });

  it('knows a language tag when it sees one', () => {
    expect(isLanguageTag('en')).toBe(true);
    expect(isLanguageTag('es-419')).toBe(true);
    expect(isLanguageTag('sr-Latn-RS')).toBe(true);
    expect(isLanguageTag('en_US')).toBe(false);
    expect(isLanguageTag('')).toBe(false);
    expect(isLanguageTag('123')).toBe(false);
  });
});

describe('a post as a whole', () => {
  it('accepts a plain post', () => {
    expect(validatePost(post(), NOW, true)).toEqual([]);
  });

  it('wants a time, windows that end after they start and last at most 31 days', () => {
    expect(paths(validatePost(post({ windows: [] }), NOW, true))).toEqual(['/windows']);
    expect(paths(validatePost(post({ windows: [{ start: '2026-12-02T10:00:00Z', end: '2026-12-02T10:00:00Z' }] }), NOW, true))).toEqual(['/windows/0/end']);
    expect(paths(validatePost(post({ windows: [{ start: '2026-12-02T10:00:00Z', end: '2027-01-05T10:00:00Z' }] }), NOW, true))).toEqual(['/windows/0/end']);
  });

  it('refuses a post whose times are all past only when the times are being set', () => {
    const past = post({ windows: [{ start: '2026-11-02T10:00:00Z', end: '2026-11-02T11:00:00Z' }] });
    expect(paths(validatePost(past, NOW, true))).toEqual(['/windows']);
    expect(validatePost(past, NOW, false)).toEqual([]);
  });

  it('counts capacity only for rides, meals and tutoring', () => {
    expect(paths(validatePost(post({ capacity: 2 }), NOW, true))).toEqual(['/capacity']);
    expect(validatePost(post({ category: 'meal', capacity: 6 }), NOW, true)).toEqual([]);
  });

  it('prefixes recurrence problems with /recurrence', () => {
    const errors = validatePost(
      post({ windows: [], recurrence: { days: ['mon'], startTime: '10:00', endTime: '10:00', timezone: 'Nowhere/Land' } }),
      NOW,
      true,
    );
    expect(paths(errors)).toEqual(expect.arrayContaining(['/recurrence/timezone', '/recurrence/endTime']));
  });
});
