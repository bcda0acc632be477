// Interface text in English and Spanish, in web/src/i18n/<locale>.json. Keys
// are English-ish names of what the text is for; English is complete and its
// keys are the type MessageKey, so a mistyped key fails the type check; a
// missing Spanish string falls back to English (a test keeps the two in
// step). English is in the first script; another language comes in a script
// of its own (loadMessages), before the first paint for a reader who has
// it, so an English reader does not download Spanish. The server's problems
// are shown by their stable codes in the reader's language (`problem.*`,
// through lib/api.ts); English readers get the server's own detail.
import en from '../i18n/en.json';

export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export type MessageKey = keyof typeof en;

// Spanish may lack a key (English shows) but may not have one English lacks.
type Spanish = typeof import('../i18n/es.json');
const spanishKeysAreEnglishKeys: Exclude<keyof Spanish, MessageKey> extends never ? true : never = true;
void spanishKeysAreEnglishKeys;

/** The English texts, whose keys are every key there is. */
export const ENGLISH: Readonly<Record<MessageKey, string>> = en;

type Messages = Partial<Record<MessageKey, string>>;
const messages: Partial<Record<Locale, Messages>> = { en };
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Messages }>> = { es: () => import('../i18n/es.json') };

/**
 * Loads a language's texts, once; until then (or if its script cannot be
 * had: offline before the service worker kept it) its texts are English.
 */
export async function loadMessages(locale: Locale): Promise<void> {
  if (locale !== 'en' && !messages[locale]) {
    try {
      messages[locale] = (await loaders[locale]()).default;
    } catch (error) {
      console.warn(`the ${locale} texts could not be loaded`, error);
    }
  }
}

/** The browser's preferred language among ours (Spanish for any `es-*`), else English. */
export function pickLocale(preferred: readonly string[], saved?: string | null): Locale {
  if (saved && (LOCALES as readonly string[]).includes(saved)) {
    return saved as Locale;
  }
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(primary!)) {
      return primary as Locale;
    }
  }
  return 'en';
}

const numbers = new Map<Locale, Intl.NumberFormat>();
/**
 * A number as the locale writes it ("5,000", "5000"); one formatter per locale (making one costs more
 * than formatting). A whole number under 1,000 is its digits in both languages: the first screen's
 * counts (posts in view, a cluster's size) then make no formatter, which costs a slow phone a long task.
 */
export function formatNumber(locale: Locale, n: number): string {
  if (Number.isInteger(n) && n >= 0 && n < 1000) {
    return String(n);
  }
  let f = numbers.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale);
    numbers.set(locale, f);
  }
  return f.format(n);
}

/** The text for `key` in `locale`, with `{name}` placeholders filled in (numbers as the locale writes them). */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = messages[locale]?.[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    return value === undefined ? `{${name}}` : typeof value === 'number' ? formatNumber(locale, value) : value;
  });
}
