// Who is signed in, in which language the app speaks, and the API they
// speak to it through.
import { type Api, ApiError, type User } from '../lib/api';
import { type Locale, loadMessages, type MessageKey, pickLocale, translate } from '../lib/i18n';
import { disablePush } from '../lib/push';
import { savedSetting, saveSetting } from '../lib/settings';
import type { OfflineState } from './offline.svelte';

const LOCALE_KEY = 'aidmap.locale';

/** The language saved on this device, else the browser's, else English. */
export function deviceLocale(): Locale {
  return pickLocale(navigator.languages ?? [navigator.language], savedSetting(LOCALE_KEY));
}

export class SessionState {
  locale = $state<Locale>('en');
  user = $state<User | null>(null);
  /** The sign-in dialog is open. */
  authOpen = $state(false);

  /**
   * @param switched called after someone signs in or out: the live socket must
   *   be reopened, since the session decides what it may see.
   */
  constructor(
    readonly api: Api,
    private readonly offline: OfflineState,
    private readonly switched: () => void,
  ) {}

  t = (key: MessageKey, params?: Record<string, string | number>): string => translate(this.locale, key, params);

  /** The language saved on this device, else the browser's (its texts loaded before the app was mounted: main.ts). */
  pickLocale(): void {
    this.locale = deviceLocale();
    document.documentElement.lang = this.locale;
  }

  /** Switches to a language once its texts have come (the screen changes once, not to English first). */
  async setLocale(locale: Locale): Promise<void> {
    await loadMessages(locale);
    this.locale = locale;
    saveSetting(LOCALE_KEY, locale);
    document.documentElement.lang = locale;
    if (this.user) {
      this.tellLocale();
    }
  }

  /**
   * Tells the server the language chosen here: mails and pushes are written
   * in it. Quietly: the screen already speaks it, and a failure changes
   * nothing here (the next start, sign-in or choice sends it again).
   */
  private tellLocale(): void {
    this.api.updateMe({ locale: this.locale }).catch(() => {});
  }

  /** Shows the sign-in dialog when nobody is signed in; true when someone is. */
  requireUser(): boolean {
    if (!this.user) {
      this.authOpen = true;
    }
    return this.user !== null;
  }

  /**
   * Who is signed in as the app starts: whom the server says; with no answer
   * (offline), whom it last said, so the person goes on reading what they
   * last loaded rather than being shown signed out.
   */
  async start(): Promise<void> {
    let user: User | null = null;
    try {
      user = await this.api.me();
      await this.offline.confirmed(user);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await this.offline.confirmed(null);
      } else {
        user = await this.offline.lastSession();
      }
    }
    this.resume(user);
  }

  /**
   * The server answers again: who is signed in is asked anew. The user is
   * replaced even when the same, on purpose: whatever is keyed on who is
   * signed in (every page's load) loads again, which is what a return from
   * offline needs. Signed out meanwhile (401): as a sign-out here.
   */
  async recheck(): Promise<void> {
    if (!this.user) {
      return;
    }
    try {
      const user = await this.api.me();
      if (user.id !== this.user?.id) {
        this.switchTo(user);
        return;
      }
      void this.offline.confirmed(user);
      this.user = user;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && this.user) {
        this.switchTo(null);
      }
    }
  }

  /** Whoever the server says is signed in as the app starts (nothing to switch from yet). */
  resume(user: User | null): void {
    this.user = user;
    if (user) {
      this.tellLocale();
    }
  }

  /** `user` signed in (null: whoever was signed in is no longer). */
  switchTo(user: User | null): void {
    this.user = user;
    // What was kept for the one before (their matches, their threads) is not for whoever comes next.
    void this.offline.confirmed(user);
    if (user) {
      this.tellLocale();
    }
    this.switched();
  }

  /** The signed-in person's name, as the server now has it. */
  renamed(displayName: string): void {
    // In place: whatever shows the name follows, without the whole user (and the effects keyed on it) changing.
    if (this.user) {
      this.user.displayName = displayName;
    }
  }

  async signOut(): Promise<void> {
    // This browser stops getting the person's notifications (a shared phone shows the next person nothing of theirs);
    // asked while the session still stands, so the server forgets the subscription too.
    await disablePush(this.api).catch(() => {});
    await this.api.logout().catch(() => {});
    this.switchTo(null);
  }
}
