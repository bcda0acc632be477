// The app's states, made once by App.svelte and given to every component
// through Svelte's context: a component asks for the ones it reads
// (`const session = sessionState()`, during its initialisation), so none is
// passed down as a prop. https://svelte.dev/docs/svelte/context
import { createContext } from 'svelte';
import { createApi, type Match, type Message } from '../lib/api';
import { DraftsState } from './drafts.svelte';
import { InboxState } from './inbox.svelte';
import { KeptStore } from './kept';
import { LiveState } from './live.svelte';
import { noticeFor, NoticesState } from './notices.svelte';
import { OfflineState } from './offline.svelte';
import { PostsState } from './posts.svelte';
import { Router } from './router.svelte';
import { SessionState } from './session.svelte';
import { ViewState } from './view.svelte';

const [sessionState, setSession] = createContext<SessionState>();
const [viewState, setView] = createContext<ViewState>();
const [postsState, setPosts] = createContext<PostsState>();
const [liveState, setLive] = createContext<LiveState>();
const [noticesState, setNotices] = createContext<NoticesState>();
const [draftsState, setDrafts] = createContext<DraftsState>();
const [routerState, setRouter] = createContext<Router>();
const [inboxState, setInbox] = createContext<InboxState>();
const [offlineState, setOffline] = createContext<OfflineState>();

export { draftsState, inboxState, liveState, noticesState, offlineState, postsState, routerState, sessionState, viewState };

/** What nearly every component reads: the session, its `t` for the interface's text, and the router. */
export function pageStates(): { session: SessionState; t: SessionState['t']; router: Router } {
  const session = sessionState();
  return { session, t: session.t, router: routerState() };
}

/**
 * Makes the states, wires them to one another and gives them to the calling
 * component (App.svelte) and everything below it. `start` reads the language,
 * who is signed in and where the map opens, then connects.
 */
export function provideStates() {
  const offline = setOffline(
    new OfflineState(
      new KeptStore(),
      () => api.health(),
      () => {
        // The server answers again: the socket now (it resumes from its last seq), and what is on screen.
        live.retryNow();
        void session.recheck(); // a fresh user: every page keyed on who is signed in loads again
        posts.refresh();
        inbox.refresh();
        keepLists();
      },
    ),
  );
  const api = createApi(undefined, offline);
  /** The signed-in person's posts and matches, loaded (and so kept) before they are needed offline. */
  const keepLists = () => {
    if (session.user && !offline.down) {
      void api.myPosts().catch(() => {});
      void api.matches().catch(() => {});
    }
  };
  const session = setSession(
    new SessionState(api, offline, () => {
      view.community = null; // a member's filter: not for whoever signs in next
      live.start();
      posts.refresh();
      inbox.refresh();
      keepLists();
    }),
  );
  const view = setView(new ViewState());
  const live = setLive(
    new LiveState(
      () => {
        posts.refresh();
        inbox.refresh(); // what was missed may have been for me
      },
      () => offline.reached(),
    ),
  );
  const posts = setPosts(new PostsState(session, view, live, offline));
  offline.alsoFrom((path) => {
    // A post of the list, never opened: its page can still show what the list holds.
    const id = /^\/api\/posts\/([^/?]+)$/.exec(path)?.[1];
    return id ? posts.kept(id) : undefined;
  });
  const notices = setNotices(new NoticesState());
  const drafts = setDrafts(new DraftsState());
  const router = setRouter(new Router());
  const inbox = setInbox(new InboxState(api, () => session.user !== null));

  live.watch((event) => {
    // A thread or a match seen live is kept as it now is, so offline it reads to the last message.
    if (event.type === 'message.created') {
      offline.amend<{ items: Message[] }>(`/api/matches/${event.matchId}/messages`, (r) => ({ items: r.items.some((m) => m.id === event.message.id) ? r.items : [...r.items, event.message] }));
    } else if ('match' in event) {
      offline.amend<{ match: Match }>(`/api/matches/${event.match.id}`, () => ({ match: event.match }));
    }
    const notice = noticeFor(event, session.user?.id, session.t);
    if (notice) {
      notices.notify(notice.text, notice.href);
    }
    inbox.heard(event);
  });

  return {
    session,
    view,
    live,
    posts,
    notices,
    drafts,
    router,
    inbox,
    offline,
    async start(): Promise<void> {
      session.pickLocale();
      live.followNetwork();
      offline.start();
      await Promise.all([session.start(), view.start()]);
      live.start();
      inbox.refresh();
      keepLists();
      // Back on a phone's screen after a while: what came meanwhile shows in the count.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') {
          inbox.refresh();
        }
      });
    },
  };
}
