// Why a candidate fits, in the reader's words: the server sends each reason
// as a code and its values (`why`), and the app writes it in the reader's
// language, with times on the reader's clock as the rest of the app writes
// them (lib/time.ts). `reasons`, the server's English text, is what an
// older copy kept offline may hold instead.
import type { Candidate } from './api';
import { type Locale, translate } from './i18n';
import { sameDay, spanText } from './time';

export type Reason = Candidate['why'][number];

const lists = new Map<Locale, Intl.ListFormat>();
/** "Spanish and English": one list formatter per language. */
function list(locale: Locale, items: string[]): string {
  let f = lists.get(locale);
  if (!f) {
    f = new Intl.ListFormat(locale, { type: 'conjunction' });
    lists.set(locale, f);
  }
  return f.format(items);
}

/** "Spanish" for "es" in English, "español" in Spanish; the code itself if the browser knows no name. */
function languageName(locale: Locale, code: string): string {
  try {
    return new Intl.DisplayNames(locale, { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** One reason as `locale` writes it; times on the reader's clock (or `zone`'s). */
export function reasonText(reason: Reason, locale: Locale, zone?: string): string {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate(locale, key, params);
  const distance = (m: number) => (m < 1000 ? t('distance.m', { n: m }) : t('distance.km', { n: m / 1000 }));
  switch (reason.code) {
    case 'distance':
      return reason.m < 100 ? t('reason.under100') : t('reason.distance', { distance: distance(reason.m) });
    case 'remote':
      return t('reason.remote');
    case 'free':
    case 'needs':
      // Their times with the day; mine without it when they fall on the same day.
      return t(reason.code === 'free' ? 'reason.free' : 'reason.needs', {
        theirs: spanText(reason.theirs, locale, true, zone),
        yours: spanText(reason.yours, locale, !sameDay(reason.theirs.start, reason.yours.start, zone) || !sameDay(reason.yours.start, reason.yours.end, zone), zone),
      });
    case 'speaks':
      return t('reason.speaks', { languages: list(locale, reason.languages.map((l) => languageName(locale, l))) });
    case 'wheelchair':
      return t('reason.wheelchair');
    case 'noDetour':
      return t('reason.noDetour');
    case 'detour':
      return t('reason.detour', { distance: distance(reason.m) });
    case 'withinArea':
      return t('reason.withinArea', { distance: distance(reason.m) });
    case 'covers':
      return t('reason.covers', { dietary: list(locale, reason.dietary) });
    case 'busy':
      return reason.n === 1 ? t('reason.busyOne') : t('reason.busy', { n: reason.n });
  }
}

/** A candidate's reasons as the reader reads them (the server's English when a kept copy has no codes). */
export function reasonsOf(candidate: Candidate, locale: Locale): string[] {
  const why = (candidate as Partial<Candidate>).why;
  return why ? why.map((r) => reasonText(r, locale)) : candidate.reasons;
}
