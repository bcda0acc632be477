// The HTTP API as the web app uses it: one typed function per route, the
// session in its cookie, errors as ApiError carrying the server's problem
// (so forms can show each message next to the field it names).
import type { CreatePostBody, PatchPostBody, Post } from '../../../server/contract/posts';
import type { Candidate, Match, Message } from '../../../server/contract/matches';
import type { Session, User } from '../../../server/contract/auth';
import type { FieldError, Problem } from '../../../server/contract/problem';
import type { BBox } from '../../../server/contract/live';
import type { Alert, Channel, Notification, NotificationKind, Preferences } from '../../../server/contract/notifications';
import type { PlaceResult, PostPlace } from '../../../server/contract/places';
import type { Static } from 'typebox';
import { ENGLISH, type Locale, type MessageKey, translate } from './i18n';
import { readerZone } from './time';
import type {
  ApplySchema,
  AuditEntrySchema,
  Community,
  CoverageSchema,
  CreateCommunityBody,
  FlagSchema,
  Invite,
  Membership,
  PlanSchema,
  RosterItemSchema,
  TriageItemSchema,
  TriageNeedSchema,
} from '../../../server/contract/communities';

export type { Candidate, CreatePostBody, Match, Message, PatchPostBody, Post, Session, User };
export type { Community, CreateCommunityBody, Invite, Membership };
export type { Alert, Channel, Notification, NotificationKind, Preferences };
export type { PlaceResult, PostPlace };
/** One page of the inbox: `next` is passed as `before` for the older one (null: no more). */
export interface InboxPage {
  items: Notification[];
  unread: number;
  next: string | null;
}
/** A browser's push subscription as `PushSubscription.toJSON()` gives it (written out: the server's type check has no DOM). */
export interface PushSubscriptionBody {
  endpoint?: string;
  expirationTime?: number | null;
  keys?: Record<string, string>;
}
/** What `PATCH /api/me` changes (at least one; server/account/routes.ts). */
export interface AccountChange {
  displayName?: string;
  locale?: Locale;
}
export interface NewAlert {
  center: { lat: number; lng: number };
  radiusM: number;
  categories: string[];
  dailyMax?: number;
}
export type TriageItem = Static<typeof TriageItemSchema>;
export type TriageNeed = Static<typeof TriageNeedSchema>;
export type Plan = Static<typeof PlanSchema>;
export type Applied = Static<typeof ApplySchema>;
export type RosterItem = Static<typeof RosterItemSchema>;
export type Flag = Static<typeof FlagSchema>;
export type AuditEntry = Static<typeof AuditEntrySchema>;
export type Coverage = Static<typeof CoverageSchema>;
export type Role = Membership['role'];
export interface Blocked {
  user: { id: string; displayName: string };
  createdAt: string;
}

/**
 * The language the server's problems are told in: the app's (App.svelte
 * hands over the session's choice, read when a message is shown, so a
 * change of language changes them too); English where no app runs (scripts,
 * tests).
 */
let problemLocale: () => Locale = () => 'en';
export function tellProblemsIn(locale: () => Locale): void {
  problemLocale = locale;
}

const isKey = (key: string): key is MessageKey => key in ENGLISH;

/** A problem's code when it has none (a proxy's error page): the one the server gives each status. */
const STATUS_CODES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 429: 'rate_limited', 500: 'internal', 503: 'unavailable' };

/** A field's name in words, from the last name in its pointer (`/windows/0/end` → "End"), or '' for one we have no word for. */
function fieldLabel(path: string, locale: Locale): string {
  const name = path.split('/').reverse().find((part) => part !== '' && !/^\d+$/.test(part));
  const key = `field.${name}`;
  return name !== undefined && isKey(key) ? translate(locale, key) : '';
}

/**
 * What is wrong with one field, in the reader's language, without the
 * field's name (a form shows it beside the field). English is the server's
 * own message, written for people ("must be after start"); another language
 * takes the text for its code (server/contract/problem.ts), or a general one.
 */
export function fieldText(error: FieldError, locale: Locale): string {
  if (locale === 'en') {
    return error.message;
  }
  const key = `problem.field.${error.code ?? 'invalid'}`;
  return translate(locale, isKey(key) ? key : 'problem.field.invalid', { limit: error.limit ?? '' });
}

/**
 * A problem as a sentence in the reader's language. A request that failed
 * validation lists each field by its name in words (never its pointer:
 * "/windows/0/end: must be after start" was what people read); any other,
 * in English, is the server's detail, else the text for its code, else for
 * its status, else a general one.
 */
export function problemText(problem: Problem, locale: Locale): string {
  const errors = problem.errors ?? [];
  if (problem.code === 'invalid' && errors.length > 0) {
    const items = errors.map((e) => {
      const label = fieldLabel(e.path, locale);
      const text = fieldText(e, locale);
      return label ? `${label}: ${text}` : text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);
    });
    return translate(locale, 'problem.invalid', { list: items.join('; ') });
  }
  // Status 0: no answer came, and the app said so itself, in the reader's language (lib/action.svelte.ts).
  if ((locale === 'en' || problem.status === 0) && problem.detail) {
    return problem.detail;
  }
  for (const code of [problem.code, STATUS_CODES[problem.status]]) {
    const key = `problem.${code}`;
    if (code && isKey(key)) {
      return translate(locale, key);
    }
  }
  return translate(locale, problem.status >= 500 ? 'problem.internal' : 'problem.bad_request');
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super();
    this.name = 'ApiError';
  }
  /** The problem in the app's language (problemText). */
  override get message(): string {
    return problemText(this.problem, problemLocale());
  }
  get status(): number {
    return this.problem.status;
  }
  /** The messages for one field, by its JSON pointer (`/title`, `/details/destination`), in the app's language. */
  errorsAt(path: string): string[] {
    const locale = problemLocale();
    return (this.problem.errors ?? []).filter((e: FieldError) => e.path === path || e.path.startsWith(`${path}/`)).map((e) => fieldText(e, locale));
  }
}

/** No answer at all (offline, server down): not the user's mistake, and worth retrying. */
export class NetworkError extends Error {}

export interface Transport {
  base: string;
  fetch: typeof fetch;
}

/**
 * Where the app keeps the last answer of the reads a person needs away from
 * a network (state/offline.svelte.ts), and hears whether the server answers.
 */
export interface ReadCache {
  /** Whose copies are read and written now ('' when nobody is signed in): a copy is never kept or served for anyone else. */
  owner(): string;
  save(owner: string, path: string, value: unknown): void;
  /** The copy kept for `owner` (undefined: none); the app then says it shows what was loaded, and when. */
  load(owner: string, path: string): Promise<unknown>;
  /** A request got no answer: the network or the server is away. */
  unreachable(): void;
  /** A request got an answer. */
  reached(): void;
}

/** Posts per listing request (the API's largest page): few round trips on a slow connection. */
const PAGE = 1000;

const defaultTransport: Transport = { base: '', fetch: (...args) => fetch(...args) };

/**
 * Idempotency-Key of each POST that makes something (a post, a proposal, a
 * message) and got no definite answer: on a weak connection a person taps
 * again, and the same request sent again reuses its key, so the server makes
 * it once. Forgotten on a definite answer (success, or a refusal to correct).
 */
const pendingKeys = new Map<string, string>();

function newKey(): string {
  // crypto.randomUUID needs a secure context; getRandomValues does not (a phone on a LAN address).
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function request<T>(t: Transport, method: string, path: string, body?: unknown, signal?: AbortSignal, idempotent = false, cache: ReadCache | null = null): Promise<T> {
  let res: Response;
  const payload = body === undefined ? null : JSON.stringify(body);
  const signature = `${method} ${path} ${payload}`;
  let key: string | undefined;
  if (idempotent) {
    key = pendingKeys.get(signature) ?? newKey();
    pendingKeys.set(signature, key);
  }
  try {
    res = await t.fetch(`${t.base}${path}`, {
      method,
      credentials: 'same-origin',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { 'idempotency-key': key } : {}) },
      body: payload,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') {
      throw error;
    }
    cache?.unreachable();
    throw new NetworkError('The server cannot be reached.', { cause: error });
  }
  cache?.reached();
  if (key && res.status < 500) {
    pendingKeys.delete(signature);
  }
  if (res.status === 204) {
    return undefined as T;
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (json as Problem | undefined) ?? { type: 'about:blank', title: res.statusText, status: res.status, detail: res.statusText };
    throw new ApiError(problem);
  }
  return json as T;
}

export interface PostFilters {
  /** Only this community's posts (members). */
  community?: string | undefined;
  kind?: 'need' | 'offer' | undefined;
  categories?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** @param cache keeps what a person needs offline (none: every read goes to the server, as in scripts and tests). */
export function createApi(t: Transport = defaultTransport, cache: ReadCache | null = null) {
  const call = <T>(method: string, path: string, body?: unknown, signal?: AbortSignal) => request<T>(t, method, path, body, signal, false, cache);
  /** A POST that makes something, safe to send again (Idempotency-Key). */
  const make = <T>(path: string, body: unknown) => request<T>(t, 'POST', path, body, undefined, true, cache);
  /**
   * A read kept on the device: with no answer (offline, server away), the
   * last answer kept for the same person is given in its place. The owner is
   * taken as the request starts, so an answer that comes after someone else
   * signed in is not kept for them.
   */
  const kept = async <T>(path: string): Promise<T> => {
    const owner = cache?.owner() ?? '';
    try {
      const value = await call<T>('GET', path);
      cache?.save(owner, path, value);
      return value;
    } catch (error) {
      const copy = error instanceof NetworkError ? await cache?.load(owner, path) : undefined;
      if (copy === undefined) {
        throw error;
      }
      return copy as T;
    }
  };
  return {
    /** Whether the server answers (what a retry after a failed request asks). */
    health: () => call<unknown>('GET', '/api/health'),
    me: () => call<{ user: User }>('GET', '/api/me').then((r) => r.user),
    signup: (body: { email: string; password: string; displayName: string }) => call<{ user: User }>('POST', '/api/auth/signup', body).then((r) => r.user),
    login: (body: { email: string; password: string }) => call<{ user: User }>('POST', '/api/auth/login', body).then((r) => r.user),
    logout: () => call<void>('POST', '/api/auth/logout'),
    changePassword: (body: { currentPassword: string; newPassword: string }) => call<void>('POST', '/api/me/password', body),
    mySessions: () => call<{ items: Session[] }>('GET', '/api/me/sessions').then((r) => r.items),
    endSession: (id: string) => call<void>('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`),
    endOtherSessions: () => call<{ ended: number }>('POST', '/api/me/sessions/revoke-others', {}).then((r) => r.ended),
    /** Changes the name others see and/or the language mails and pushes are written in; answers both as they now are. */
    updateMe: (body: AccountChange) => call<Required<AccountChange>>('PATCH', '/api/me', body),
    /** Deletes the account (the password again: a borrowed phone is not enough); how many open posts it cancelled. */
    deleteAccount: (password: string) => call<{ cancelledPosts: number }>('DELETE', '/api/me', { password }).then((r) => r.cancelledPosts),

    /** Open posts whose public point is in the box, newest first, every page. */
    /**
     * Every open post in the box under the filters, newest first, page after
     * page up to `max`; `onFirstPage` sees the first page as soon as it comes.
     */
    async listPosts(bbox: BBox, filters: PostFilters = {}, options: { signal?: AbortSignal; max?: number; pageSize?: number; onFirstPage?: (posts: Post[]) => void } = {}): Promise<Post[]> {
      const q = new URLSearchParams({ bbox: bbox.join(','), limit: String(options.pageSize ?? PAGE) });
      if (filters.community) {
        q.set('community', filters.community);
      }
      if (filters.kind) {
        q.set('kind', filters.kind);
      }
      if (filters.categories?.length) {
        q.set('category', filters.categories.join(','));
      }
      if (filters.from) {
        q.set('from', filters.from);
      }
      if (filters.to) {
        q.set('to', filters.to);
      }
      const max = options.max ?? Infinity;
      const out: Post[] = [];
      for (;;) {
        const page = await call<{ items: Post[]; nextCursor: string | null }>('GET', `/api/posts?${q}`, undefined, options.signal);
        out.push(...page.items);
        if (!page.nextCursor || out.length >= max) {
          return out.slice(0, max);
        }
        if (out.length === page.items.length) {
          options.onFirstPage?.(out.slice());
        }
        q.set('cursor', page.nextCursor);
      }
    },
    myPosts: () => kept<{ items: Post[] }>('/api/me/posts').then((r) => r.items),
    getPost: (id: string) => kept<{ post: Post }>(`/api/posts/${id}`).then((r) => r.post),
    createPost: (body: CreatePostBody) => make<{ post: Post }>('/api/posts', body).then((r) => r.post),
    updatePost: (id: string, body: PatchPostBody) => call<{ post: Post }>('PATCH', `/api/posts/${id}`, body).then((r) => r.post),
    cancelPost: (id: string) => call<{ post: Post }>('DELETE', `/api/posts/${id}`).then((r) => r.post),

    // The reasons are text with times in them: written in the reader's zone (lib/time.ts).
    candidates: (postId: string) => kept<{ items: Candidate[] }>(`/api/posts/${postId}/matches?tz=${encodeURIComponent(readerZone())}`).then((r) => r.items),
    propose: (body: { needId: string; offerId: string; message?: string }) => make<{ match: Match }>('/api/matches', body).then((r) => r.match),
    act: (matchId: string, action: 'accept' | 'decline' | 'cancel' | 'complete') =>
      call<{ match: Match }>('POST', `/api/matches/${matchId}/${action}`).then((r) => r.match),
    matches: (status?: Match['status']) => kept<{ items: Match[] }>(`/api/matches${status ? `?status=${status}` : ''}`).then((r) => r.items),
    match: (id: string) => kept<{ match: Match }>(`/api/matches/${id}`).then((r) => r.match),
    messages: (matchId: string) => kept<{ items: Message[] }>(`/api/matches/${matchId}/messages`).then((r) => r.items),
    sendMessage: (matchId: string, body: string) => make<{ message: Message }>(`/api/matches/${matchId}/messages`, { body }).then((r) => r.message),

    similar: (q: { kind: string; category: string; lat: number; lng: number; start: string; end: string }) =>
      call<{ items: { post: Post; distanceM: number; mine: boolean }[] }>('GET', `/api/posts/similar?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}`).then((r) => r.items),
    /** Whether the server has address search and place names (it may have no geocoder). */
    placesAvailable: () => call<{ available: boolean }>('GET', '/api/places/status').then((r) => r.available),
    /** Addresses matching what was written, those near `near` (the map) first. */
    searchPlaces: (q: string, near: { lat: number; lng: number } | null, lang: Locale, signal?: AbortSignal) =>
      call<{ items: PlaceResult[] }>('GET', `/api/places/search?${new URLSearchParams({ q, lang, ...(near ? { lat: String(near.lat), lng: String(near.lng) } : {}) })}`, undefined, signal).then((r) => r.items),
    /** The address at a point being chosen (null: none known there). */
    placeName: (p: { lat: number; lng: number }, lang: Locale, signal?: AbortSignal) =>
      call<{ name: string | null }>('GET', `/api/places/name?${new URLSearchParams({ lat: String(p.lat), lng: String(p.lng), lang })}`, undefined, signal).then((r) => r.name),
    /** A post's place (and destination) as names: addresses when the viewer may see them, else street and neighbourhood. */
    postPlace: (id: string, lang: Locale, signal?: AbortSignal) => call<PostPlace>('GET', `/api/posts/${id}/place?lang=${lang}`, undefined, signal),
    communitiesAt: (lat: number, lng: number) => call<{ items: Community[] }>('GET', `/api/communities?lat=${lat}&lng=${lng}`).then((r) => r.items),
    myCommunities: () => call<{ items: Community[] }>('GET', '/api/me/communities').then((r) => r.items),
    community: (id: string) => call<{ community: Community }>('GET', `/api/communities/${id}`).then((r) => r.community),
    createCommunity: (body: CreateCommunityBody) => call<{ community: Community }>('POST', '/api/communities', body).then((r) => r.community),
    join: (id: string, inviteCode?: string) => call<{ membership: Membership }>('POST', `/api/communities/${id}/join`, inviteCode ? { inviteCode } : {}).then((r) => r.membership),
    /** Leaves (its organizers stop seeing one's exact places). */
    leave: (id: string) => call<void>('POST', `/api/communities/${id}/leave`),
    triage: (id: string) => call<{ items: TriageItem[] }>('GET', `/api/communities/${id}/triage`).then((r) => r.items),
    /** One need triage lists, with the members' offers that could serve it. */
    triageNeed: (id: string, needId: string) => call<TriageNeed>('GET', `/api/communities/${id}/triage/${needId}`),
    /** An organizer's note to a need's author (their inbox, e-mail, push). */
    writeToAuthor: (id: string, needId: string, body: string) => call<void>('POST', `/api/communities/${id}/triage/${needId}/note`, { body }),
    plan: (id: string, body: { from: string; to: string }) => call<Plan>('POST', `/api/communities/${id}/assignments/plan`, body),
    apply: (id: string, pairs: { needId: string; offerId: string }[]) => call<Applied>('POST', `/api/communities/${id}/assignments/apply`, { pairs }),
    roster: (id: string) => call<{ items: RosterItem[] }>('GET', `/api/communities/${id}/roster`).then((r) => r.items),
    flags: (id: string) => call<{ items: Flag[] }>('GET', `/api/communities/${id}/flags`).then((r) => r.items),
    hide: (postId: string, reason: string) => call<{ post: Post }>('POST', `/api/posts/${postId}/hide`, { reason }).then((r) => r.post),
    invites: (id: string) => call<{ items: Invite[] }>('GET', `/api/communities/${id}/invites`).then((r) => r.items),
    createInvite: (id: string) => call<{ invite: Invite }>('POST', `/api/communities/${id}/invites`, {}).then((r) => r.invite),
    revokeInvite: (id: string, code: string) => call<void>('DELETE', `/api/communities/${id}/invites/${code}`),
    members: (id: string) => call<{ items: Membership[] }>('GET', `/api/communities/${id}/members`).then((r) => r.items),
    setRole: (id: string, userId: string, role: Role) => call<{ membership: Membership }>('PUT', `/api/communities/${id}/members/${userId}`, { role }).then((r) => r.membership),
    suspend: (id: string, userId: string, reason?: string) => call<void>('POST', `/api/communities/${id}/suspensions`, reason ? { userId, reason } : { userId }),
    unsuspend: (id: string, userId: string) => call<void>('DELETE', `/api/communities/${id}/suspensions/${userId}`),
    /** One page of the audit log, newest first; `before` is the previous page's `nextCursor`. */
    audit: (id: string, before?: string | null, limit = 20) =>
      call<{ items: AuditEntry[]; nextCursor: string | null }>('GET', `/api/communities/${id}/audit?${new URLSearchParams({ limit: String(limit), ...(before ? { before } : {}) })}`),
    coverage: (id: string, q: { from: string; to: string; cellM: number }, signal?: AbortSignal) =>
      call<Coverage>('GET', `/api/communities/${id}/coverage?${new URLSearchParams({ from: q.from, to: q.to, cellM: String(q.cellM) })}`, undefined, signal),

    /** Reports a post or a person to the organizers (201 new, 200 already reported: both fine). */
    report: (target: { postId: string } | { userId: string }, reason: string) => call<{ flag: { id: string } }>('POST', '/api/flags', { ...target, reason }),
    /** Neither sees the other's posts, and they cannot be matched. */
    block: (userId: string) => call<null>('POST', '/api/blocks', { userId }),
    unblock: (userId: string) => call<void>('DELETE', `/api/blocks/${userId}`),
    myBlocks: () => kept<{ items: Blocked[] }>('/api/me/blocks').then((r) => r.items),

    /** A new private calendar address (the previous one stops working). */
    createCalendar: () => call<{ url: string }>('POST', '/api/me/calendar').then((r) => r.url),
    revokeCalendar: () => call<void>('DELETE', '/api/me/calendar'),
    /** Whether there is an address, and since when (the address itself is shown only when made). */
    calendarStatus: () => kept<{ active: boolean; createdAt?: string }>('/api/me/calendar'),

    /** One page of one's notifications, newest first; `before` is the previous page's `next`. */
    notifications: (q: { before?: string | null; limit?: number; unread?: boolean } = {}, signal?: AbortSignal) =>
      call<InboxPage>(
        'GET',
        `/api/me/notifications?${new URLSearchParams({ limit: String(q.limit ?? 30), ...(q.before ? { before: q.before } : {}), ...(q.unread ? { unread: 'true' } : {}) })}`,
        undefined,
        signal,
      ),
    /** Marks these notifications read, or all of them; the unread left. */
    /** Answers a note written outside any match (its `replyable`); the writer's name comes back. */
    replyToNote: (id: string, body: string) => make<{ to: string }>(`/api/me/notifications/${id}/reply`, { body }).then((r) => r.to),
    markRead: (which: { ids: string[] } | { all: true }) => call<{ unread: number }>('POST', '/api/me/notifications/read', which).then((r) => r.unread),
    notificationPreferences: () => call<Preferences>('GET', '/api/me/notification-preferences'),
    setNotificationPreferences: (changes: { kind: NotificationKind; channel: Channel; enabled: boolean }[]) =>
      call<Preferences>('PUT', '/api/me/notification-preferences', { changes }),
    alerts: () => call<{ items: Alert[] }>('GET', '/api/me/alerts').then((r) => r.items),
    createAlert: (body: NewAlert) => call<{ alert: Alert }>('POST', '/api/me/alerts', body).then((r) => r.alert),
    deleteAlert: (id: string) => call<void>('DELETE', `/api/me/alerts/${encodeURIComponent(id)}`),
    /** The server's VAPID public key (base64url) for Web Push subscriptions. */
    pushKey: () => call<{ publicKey: string }>('GET', '/api/push/key').then((r) => r.publicKey),
    savePushSubscription: (subscription: PushSubscriptionBody) => call<unknown>('POST', '/api/me/push-subscriptions', subscription),
    deletePushSubscription: (endpoint: string) => call<void>('DELETE', '/api/me/push-subscriptions', { endpoint }),

    /** Mails the signed-in person a new link to verify their address. */
    resendVerification: () => call<unknown>('POST', '/api/auth/verify-email/resend', {}),
    verifyEmail: (token: string) => call<unknown>('POST', '/api/auth/verify-email', { token }),
    /** Always accepted (202), whether or not an account uses the address: it says nothing of who has one. */
    requestPasswordReset: (email: string) => call<unknown>('POST', '/api/auth/password-reset', { email }),
    confirmPasswordReset: (token: string, password: string) => call<unknown>('POST', '/api/auth/password-reset/confirm', { token, password }),
    /** Mails a link to `email` (and a word to the current address); the account moves when the link is opened. */
    requestEmailChange: (email: string, password: string) => call<{ pendingEmail: string }>('POST', '/api/me/email', { email, password }),
    confirmEmailChange: (token: string) => call<{ email: string }>('POST', '/api/auth/email-change/confirm', { token }),
  };
}

export type Api = ReturnType<typeof createApi>;
