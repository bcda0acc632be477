// The app's states, made once by App.svelte and given to every component
// through Svelte's context: a component asks for the ones it reads
// (`const session = sessionState()`, during its initialisation), so none is
// passed down as a prop. https://svelte.dev/docs/svelte/context
import { createContext } from 'svelte';
import { type Api, createApi } from '../lib/api';
import { DraftsState } from './drafts.svelte';
import { InboxState } from './inbox.svelte';
import { LiveState } from './live.svelte';
import { noticeFor, NoticesState } from './notices.svelte';
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

export { draftsState, inboxState, liveState, noticesState, postsState, routerState, sessionState, viewState };

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
export function provideStates(api: Api = createApi()) {
  const session = setSession(
    new SessionState(api, () => {
      view.community = null; // a member's filter: not for whoever signs in next
      live.start();
      posts.refresh();
      inbox.refresh();
    }),
  );
  const view = setView(new ViewState());
  const live = setLive(
    new LiveState(() => {
      posts.refresh();
      inbox.refresh(); // what was missed may have been for me
    }),
  );
  const posts = setPosts(new PostsState(session, view, live));
  const notices = setNotices(new NoticesState());
  const drafts = setDrafts(new DraftsState());
  const router = setRouter(new Router());
  const inbox = setInbox(new InboxState(api, () => session.user !== null));

  live.watch((event) => {
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
    async start(): Promise<void> {
      session.pickLocale();
      live.followNetwork();
      const [user] = await Promise.all([api.me().catch(() => null), view.start()]);
      session.resume(user);
      live.start();
      inbox.refresh();
      // Back on a phone's screen after a while: what came meanwhile shows in the count.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') {
          inbox.refresh();
        }
      });
    },
  };
}
