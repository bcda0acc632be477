import { describe, expect, it } from 'vitest';
import { PASSWORD_JUDGED_LENGTH, passwordProblems } from '../../server/auth/policy';
import { sessionPublicId } from '../../server/auth/repository';
import { describeUserAgent } from '../../server/auth/user-agent';
import { loadConfig } from '../../server/config';

const ana = { email: 'ana.lopez@example.org', displayName: 'Ana Lopez' };

describe('password policy', () => {
  it.each([
    ['12345678', /must be at least 10 characters/],
    ['password', /must be at least 10 characters/],
    ['        ', /must be at least 10 characters/],
    ['          ', /must not be only spaces/],
    ['\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000', /must not be only spaces/],
    ['1234567890', /too easy to guess: it is one of the most used passwords/],
    ['password1234', /too easy to guess: it is a commonly used password with small changes/],
    ['qwertyuiop', /too easy to guess/],
    ['abcdefghijk', /sequence like "abc"/],
    ['p4ssw0rd12', /look-alikes/],
    ['🌻🌻🌻🌻🌻🌻🌻🌻🌻🌻', /repeated/],
    ['ana.lopez@example.org', /must not be your e-mail address or your name/],
    ['  ANA.LOPEZ  ', /must not be your e-mail address or your name/],
    ['ana lopez', /at least 10/],
    ['Ana Lopez!', /too easy to guess: it contains your e-mail address or your name/],
  ])('refuses %j with a message that says what to do', (password, message) => {
    const problems = passwordProblems(password, ana);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    // Every refusal ends with advice, not only a verdict.
    expect(problems[0]).toMatch(/(\.|characters\.|name\.)$/);
  });

  it('takes passphrases, counts characters as code points, and keeps spaces as typed', () => {
    for (const ok of ['correct horse battery', 'a long passphrase', 'lamp violin harbor tuesday', 'Tr0ub4dor&3', 'contraseña segura de ana']) {
      expect(passwordProblems(ok, ana), ok).toEqual([]);
    }
    // Nine emoji are 18 UTF-16 units but 9 characters: too short.
    expect(passwordProblems('🦊🐙🌵🎻🚲🧭🍋🪁🛶', ana)[0]).toMatch(/at least 10/);
    expect(passwordProblems('🦊🐙🌵🎻🚲🧭🍋🪁🛶🏔', ana)).toEqual([]);
  });

  it(`judges only the first ${PASSWORD_JUDGED_LENGTH} characters (zxcvbn slows down on long input)`, () => {
    const strong = 'lamp violin harbor tuesday ';
    // A weak start cannot be saved by what follows past the cap…
    expect(passwordProblems('a'.repeat(PASSWORD_JUDGED_LENGTH) + strong, ana)[0]).toMatch(/repeated/);
    // …and a weak tail past the cap is not looked at.
    const long = strong.repeat(3).slice(0, PASSWORD_JUDGED_LENGTH);
    expect(passwordProblems(long, ana)).toEqual([]);
    expect(passwordProblems(long + 'a'.repeat(190), ana)).toEqual([]);
    // The longest password the API takes is judged like any other (its cost is bounded by the cap above).
    expect(passwordProblems('p4$$w0rd'.repeat(32), ana)).toEqual(passwordProblems('p4$$w0rd'.repeat(32).slice(0, PASSWORD_JUDGED_LENGTH), ana));
  });
});

describe('session ids and browsers', () => {
  it('names a session by 12 base64url characters derived from its hash, never the hash itself', () => {
    const hash = Buffer.alloc(32, 7);
    const id = sessionPublicId(hash);
    expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(sessionPublicId(Buffer.from(hash))).toBe(id);
    expect(hash.toString('base64url')).not.toContain(id);
    expect(sessionPublicId(Buffer.alloc(32, 8))).not.toBe(id);
  });

  it.each([
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1', 'Chrome on iPhone'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 'Edge on Windows'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', 'Samsung Internet on Android'],
    ['curl/8.5.0', 'curl'],
    ['lightMyRequest', 'lightMyRequest'],
    [`SomeBot/1.0 ${'x'.repeat(200)}`, `SomeBot/1.0 ${'x'.repeat(47)}…`],
    ['', null],
    [null, null],
  ])('describes %j as %j', (ua, expected) => {
    expect(describeUserAgent(ua)).toBe(expected);
  });
});

describe('session lifetime configuration', () => {
  it('defaults to 14 idle days and 30 in all, and refuses an idle time past the absolute one', () => {
    const config = loadConfig({});
    expect(config.sessionIdleMs).toBe(14 * 86_400_000);
    expect(config.sessionMaxMs).toBe(30 * 86_400_000);
    expect(loadConfig({ SESSION_IDLE_DAYS: '0.5', SESSION_MAX_DAYS: '7' })).toMatchObject({ sessionIdleMs: 43_200_000, sessionMaxMs: 7 * 86_400_000 });
    expect(() => loadConfig({ SESSION_IDLE_DAYS: '40' })).toThrow(/SESSION_IDLE_DAYS must be a number of days above 0 and at most SESSION_MAX_DAYS/);
    expect(() => loadConfig({ SESSION_MAX_DAYS: '0' })).toThrow(/SESSION_MAX_DAYS must be/);
    expect(() => loadConfig({ SESSION_MAX_DAYS: '500' })).toThrow(/SESSION_MAX_DAYS must be/);
    expect(() => loadConfig({ SESSION_IDLE_DAYS: 'soon' })).toThrow(/SESSION_IDLE_DAYS/);
  });
});
