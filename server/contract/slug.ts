// A community's short name for links ("crown-heights"), derived from its
// name the same way on both sides: the web fills it in as one types, and the
// server derives it when none is sent.

/** What a short name may be: lower-case letters and digits in groups joined by single dashes. */
export const SLUG_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';
export const SLUG_MIN = 2;
export const SLUG_MAX = 60;
/** What a name that gives no usable short name (all in another script, all punctuation) is called. */
export const SLUG_FALLBACK = 'community';

// Latin letters Unicode does not decompose into a base letter and a mark.
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ŧ: 't', ħ: 'h' };

/** The short name a name gives: "Flatbush Tenants' Union" → "flatbush-tenants-union", "Peña Café" → "pena-cafe"; "" when nothing usable is left. */
export function slugify(name: string): string {
  const folded = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}/gu, '')
    .replace(/[ßæœøłđðþıŧħ]/g, (c) => LETTERS[c]!)
    // An apostrophe joins a word ("tenants'", "o'brien"), it does not split it.
    .replace(/['’ʼ`]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = folded.slice(0, SLUG_MAX).replace(/-+$/, '');
  return cut.length >= SLUG_MIN ? cut : '';
}

/** A short name like `base` that is not taken: `base` itself, else `base-2`, `base-3`, … (cut to fit SLUG_MAX). */
export function freeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) {
    return base;
  }
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, SLUG_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) {
      return candidate;
    }
  }
}
