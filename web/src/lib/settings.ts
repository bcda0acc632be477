// Small settings this device keeps (localStorage): the language chosen, the
// introduction dismissed. A browser may refuse the site its storage (site
// data blocked, some private windows), and then even reading it throws: the
// app works on, only without remembering.

/** The setting kept under `key`, or null when none is (or storage is refused). */
export function savedSetting(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Keeps a setting on this device, when the browser lets it. */
export function saveSetting(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not kept: asked again next time, which is harmless
  }
}
