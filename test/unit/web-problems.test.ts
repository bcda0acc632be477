// The server's problems as the web app says them (issue 16, item 9): by
// their stable codes, in the reader's language, never as JSON pointers.
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError, fieldText, problemText, tellProblemsIn } from '../../web/src/lib/api';
import type { Problem } from '../../server/contract/problem';
import { loadMessages, type Locale } from '../../web/src/lib/i18n';

// Spanish comes in a chunk of its own (lib/i18n.ts), as the app loads it before mounting.
beforeAll(() => loadMessages('es'));

const endBeforeStart: Problem = {
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  code: 'invalid',
  detail: 'The request body is not valid — /windows/0/end: must be after start; /title: must be at most 120 characters',
  errors: [
    { path: '/windows/0/end', message: 'must be after start', code: 'window.end_before_start' },
    { path: '/title', message: 'must be at most 120 characters', code: 'max_length', limit: 120 },
  ],
};

describe('problems in words', () => {
  it('a validation problem names each field in words, in Spanish by its codes, never by its pointer', () => {
    const es = problemText(endBeforeStart, 'es');
    expect(es).toBe('Hay datos que corregir: Fin: debe ser posterior al inicio; Título: debe tener como máximo 120 caracteres.');
    const en = problemText(endBeforeStart, 'en');
    expect(en).toBe('Some answers need a change — End: must be after start; Title: must be at most 120 characters.');
    for (const text of [es, en]) {
      expect(text).not.toContain('/');
    }
  });

  it('a field without a word for its name, or a code without words of its own, still reads as a sentence', () => {
    const odd: Problem = { ...endBeforeStart, errors: [{ path: '/zzz', message: 'is wrong somehow', code: 'something_new' }] };
    expect(problemText(odd, 'es')).toBe('Hay datos que corregir: No es válido.');
    expect(problemText(odd, 'en')).toBe('Some answers need a change — Is wrong somehow.');
  });

  it('other problems: English keeps the server\'s sentence; Spanish says the code, else the status, else in general', () => {
    const notFound: Problem = { type: 'about:blank', title: 'Not Found', status: 404, code: 'post.not_found', detail: 'There is no post with this id.' };
    expect(problemText(notFound, 'en')).toBe('There is no post with this id.');
    expect(problemText(notFound, 'es')).toBe('Esta publicación no existe o ya no se muestra.');
    expect(problemText({ ...notFound, code: 'never.heard.of' }, 'es')).toBe('No se encontró: quizá se borró.');
    // A proxy's page: no code, no JSON.
    expect(problemText({ type: 'about:blank', title: 'Bad Gateway', status: 502, detail: 'Bad Gateway' }, 'es')).toBe('Algo falló de nuestro lado. Inténtelo de nuevo en un momento.');
    expect(problemText({ type: 'about:blank', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: 'You have posted a lot in the last hour.' }, 'es')).toMatch(/^Fueron muchos intentos/);
  });

  it('a field error beside its field: the server\'s English, or the Spanish for its code with its number', () => {
    const tooLong = { path: '/title', message: 'must be at most 120 characters', code: 'max_length', limit: 120 };
    expect(fieldText(tooLong, 'en')).toBe('must be at most 120 characters');
    expect(fieldText(tooLong, 'es')).toBe('debe tener como máximo 120 caracteres');
    expect(fieldText({ path: '/x', message: 'odd', code: 'unheard_of' }, 'es')).toBe('no es válido');
  });

  it('an ApiError speaks the language the app is in when it is read', () => {
    let locale: Locale = 'en';
    tellProblemsIn(() => locale);
    const error = new ApiError(endBeforeStart);
    expect(error.message).toMatch(/^Some answers need a change/);
    expect(error.errorsAt('/windows')).toEqual(['must be after start']);
    locale = 'es';
    expect(error.message).toMatch(/^Hay datos que corregir/);
    expect(error.errorsAt('/windows')).toEqual(['debe ser posterior al inicio']);
    tellProblemsIn(() => 'en');
  });
});
