import { beforeAll, describe, expect, it } from 'vitest';
import { ENGLISH, formatNumber, loadMessages, pickLocale, translate } from '../../web/src/lib/i18n';
import SPANISH from '../../web/src/i18n/es.json';

beforeAll(() => loadMessages('es'));

describe('interface languages', () => {
  it('every English text has a Spanish one, with the same placeholders', () => {
    const en: Record<string, string> = ENGLISH;
    const es: Record<string, string> = SPANISH;
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(en)) {
      const spanish = es[key];
      expect(spanish, key).toBeTruthy();
      expect(holes(spanish!), key).toEqual(holes(text!));
    }
  });

  it('follows the browser (es-MX is Spanish), a saved choice wins, English otherwise', () => {
    expect(pickLocale(['es-MX', 'en'])).toBe('es');
    expect(pickLocale(['fr-FR', 'es'])).toBe('es');
    expect(pickLocale(['de'])).toBe('en');
    expect(pickLocale(['es'], 'en')).toBe('en');
    expect(pickLocale(['en'], 'xx')).toBe('en');
  });

  it('fills placeholders', () => {
    expect(translate('es', 'notice.message', { name: 'Rosa' })).toBe('Nuevo mensaje de Rosa');
    expect(translate('en', 'inView', { n: 12 })).toBe('12 posts in view');
    // Numbers as each language writes them.
    expect(translate('en', 'inView', { n: 5030 })).toBe('5,030 posts in view');
    expect(translate('es', 'inView', { n: 15030 })).toBe('15.030 publicaciones en el mapa');
  });

  it('writes whole numbers under 1,000 as their digits without a formatter, and the same as one would', () => {
    for (const locale of ['en', 'es'] as const) {
      const intl = new Intl.NumberFormat(locale);
      for (const n of [0, 1, 7, 42, 999, 1000, 1234, 5000, 12.5, 0.25, -3]) {
        expect(formatNumber(locale, n), `${locale} ${n}`).toBe(intl.format(n));
      }
    }
  });
});
