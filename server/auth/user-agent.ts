// A session's browser in a few words ("Firefox on Android"), so a person
// can tell their sessions apart without reading a User-Agent string. Pure.

// Order matters: Edge, Opera and Samsung Internet also say "Chrome", and
// every browser on iOS says "Safari" (and names itself with a suffix).
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFxiOS\/|\bFirefox\//, 'Firefox'],
  // HeadlessChrome too (no word boundary inside it).
  [/\bCriOS\/|Chrom(e|ium)\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** At most this many characters of an agent we cannot name. */
const UNKNOWN_MAX = 60;

export function describeUserAgent(userAgent: string | null): string | null {
  const ua = userAgent?.trim();
  if (!ua) {
    return null;
  }
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) {
    return `${browser} on ${system}`;
  }
  if (browser ?? system) {
    return (browser ?? system)!;
  }
  return [...ua].length > UNKNOWN_MAX ? `${[...ua].slice(0, UNKNOWN_MAX - 1).join('')}…` : ua;
}
