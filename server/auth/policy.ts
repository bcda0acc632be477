// What a new password must be (at sign-up and when it is changed), after
// NIST SP 800-63B §5.1.1.2: long enough, not a known or easily guessed one,
// not the person's own address or name, and no composition rules (symbols,
// capitals) that only make passwords harder to remember. Runs offline: the
// common-password list is zxcvbn-ts's own (language-common: 49,000 passwords
// from breaches and 7,776 diceware words), so no password leaves the server.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/** Characters (Unicode code points, so one emoji is one) a password needs at least. */
export const PASSWORD_MIN_LENGTH = 10;

/**
 * zxcvbn's score 3 means it takes at least 10^8 guesses. Online, where the
 * sign-in limits allow 100 guesses an hour per address, that is over a
 * century; offline against our argon2id hashes (19 MiB each) it is far
 * beyond a casual attacker. It refuses every listed password and simple
 * pattern (years, keyboard rows, repeats, l33t spellings of them) yet takes
 * a three-word phrase a person can type on a phone ("correct horse
 * battery"); score 4 (10^10) refuses many of those.
 */
export const PASSWORD_MIN_SCORE = 3;

/**
 * zxcvbn's matching grows faster than linearly with length; measured here
 * (one core, warm), a worst case (`p4$$w0rd` repeated) took 97 ms at 64
 * characters, 178 ms at 100 and 470 ms at 256, on the event loop. Only the
 * first 64 characters are judged. A weak password does not pass because of
 * the cap (its first 64 characters make a weak password of their own), and
 * 64 characters that are not a pattern are far past score 3; at worst a
 * long password that starts with a pattern is refused.
 */
export const PASSWORD_JUDGED_LENGTH = 64;

// Built on first use, not at import: the dictionaries take 80–300 ms to
// index (measured here), and most processes (tests, the CLI) never judge a password.
let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return estimator;
}

// zxcvbn's feedback keys (Feedback.ts), in plain words; without a
// translations option it returns these keys rather than English sentences.
const WARNINGS: Record<string, string> = {
  straightRow: 'a row of keys on the keyboard is easy to guess',
  keyPattern: 'a keyboard pattern is easy to guess',
  simpleRepeat: 'repeated characters like "aaa" are easy to guess',
  extendedRepeat: 'a repeated pattern like "abcabc" is easy to guess',
  sequences: 'a sequence like "abc" or "1234" is easy to guess',
  recentYears: 'a recent year is easy to guess',
  dates: 'a date is easy to guess',
  topTen: 'it is one of the most used passwords',
  topHundred: 'it is one of the most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is a commonly used password with small changes',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'a name on its own is easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'it contains your e-mail address or your name',
  pwned: 'it has appeared in a data breach',
};

const SUGGESTIONS: Record<string, string> = {
  l33t: "Swapping letters for look-alikes ('@' for 'a') does not help much.",
  reverseWords: 'Spelling a word backwards does not help much.',
  allUppercase: 'Capitals everywhere do not help much.',
  capitalization: 'A capital first letter does not help much.',
  dates: 'Leave out dates and years that have to do with you.',
  recentYears: 'Leave out recent years.',
  associatedYears: 'Leave out years that have to do with you.',
  sequences: 'Leave out sequences like "abc" or "123".',
  repeated: 'Leave out repeated words and characters.',
  longerKeyboardPattern: 'Leave out keyboard patterns.',
  anotherWord: 'Add another word or two that are not common.',
  useWords: 'Use several words, but not a well-known phrase.',
};

/** The one sentence that says what to do when nothing more specific applies. */
const GENERAL = 'Use a few words that do not belong together, like "lamp violin harbor tuesday".';

/**
 * Why `password` cannot be used, as field messages (the field name goes
 * before them: "must be…", "is too easy to guess…"), or [] when it can.
 * `person` is the account's own address and name: a password equal to
 * either, or built from them, is the first thing someone who knows the
 * person would try.
 */
export function passwordProblems(password: string, person: { email: string; displayName: string }): string[] {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return [`must be at least ${PASSWORD_MIN_LENGTH} characters. ${GENERAL}`];
  }
  // Spaces are kept as typed (they are part of a passphrase), but spaces alone are no password.
  if (password.trim() === '') {
    return [`must not be only spaces. ${GENERAL}`];
  }
  const email = person.email.trim().toLowerCase();
  const name = person.displayName.trim().toLowerCase();
  const local = email.split('@')[0]!;
  if ([email, local, name].includes(password.trim().toLowerCase())) {
    return ['must not be your e-mail address or your name.'];
  }
  // zxcvbn treats these as dictionary words: "analopez2024" is "ana" + "lopez" + a year.
  const own = [...new Set([email, local, name, ...`${local} ${name}`.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3)])];
  const judged = [...password].slice(0, PASSWORD_JUDGED_LENGTH).join('');
  const result = zxcvbn().check(judged, own);
  if (result.score >= PASSWORD_MIN_SCORE) {
    return [];
  }
  const warning = result.feedback.warning ? WARNINGS[result.feedback.warning] : undefined;
  // zxcvbn always suggests "add another word"; a more specific suggestion says more, else the general advice.
  const specific = result.feedback.suggestions.filter((s) => s !== 'anotherWord').map((s) => SUGGESTIONS[s]).find((s) => s !== undefined);
  return [`is too easy to guess${warning ? `: ${warning}` : ''}. ${specific ?? GENERAL}`];
}
