// Client-side routes over the History API. The map stays mounted beneath
// every page, so going back to it keeps its place and its live posts.
import type { MessageKey } from '../lib/i18n';

export type Route =
  | { name: 'map' }
  | { name: 'post'; id: string }
  | { name: 'new' }
  | { name: 'edit'; id: string }
  | { name: 'mine' }
  | { name: 'account' }
  | { name: 'matches' }
  | { name: 'match'; id: string }
  | { name: 'communities' }
  | { name: 'community'; id: string }
  | { name: 'members'; id: string }
  | { name: 'audit'; id: string }
  | { name: 'coverage'; id: string }
  | { name: 'inbox' }
  | { name: 'verifyEmail' }
  | { name: 'resetPassword' }
  | { name: 'changeEmail' };

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function parseRoute(pathname: string): Route {
  let m: RegExpMatchArray | null;
  if ((m = pathname.match(new RegExp(`^/posts/(${UUID})/?$`, 'i')))) {
    return { name: 'post', id: m[1]!.toLowerCase() };
  }
  if ((m = pathname.match(new RegExp(`^/posts/(${UUID})/edit/?$`, 'i')))) {
    return { name: 'edit', id: m[1]!.toLowerCase() };
  }
  if ((m = pathname.match(new RegExp(`^/communities/(${UUID})/?$`, 'i')))) {
    return { name: 'community', id: m[1]!.toLowerCase() };
  }
  if ((m = pathname.match(new RegExp(`^/communities/(${UUID})/(members|audit|coverage)/?$`, 'i')))) {
    return { name: m[2]!.toLowerCase() as 'members' | 'audit' | 'coverage', id: m[1]!.toLowerCase() };
  }
  if ((m = pathname.match(new RegExp(`^/matches/(${UUID})/?$`, 'i')))) {
    return { name: 'match', id: m[1]!.toLowerCase() };
  }
  switch (pathname.replace(/\/$/, '')) {
    case '/new':
      return { name: 'new' };
    case '/mine':
      return { name: 'mine' };
    case '/account':
      return { name: 'account' };
    case '/matches':
      return { name: 'matches' };
    case '/communities':
      return { name: 'communities' };
    case '/inbox':
      return { name: 'inbox' };
    case '/verify-email':
      return { name: 'verifyEmail' };
    case '/reset-password':
      return { name: 'resetPassword' };
    case '/change-email':
      return { name: 'changeEmail' };
    default:
      return { name: 'map' };
  }
}

/** What the tab (and a screen reader) calls each page (WCAG 2.4.2). */
export function pageTitle(route: Route['name'], t: (key: MessageKey) => string): string {
  const names = {
    map: null,
    post: 'page.post',
    new: 'newPost',
    edit: 'editPost',
    mine: 'myPosts',
    account: 'account',
    matches: 'myMatches',
    match: 'page.match',
    communities: 'communities',
    community: 'communities',
    members: 'page.members',
    audit: 'page.audit',
    coverage: 'page.coverage',
    inbox: 'inbox',
    verifyEmail: 'page.verifyEmail',
    resetPassword: 'page.resetPassword',
    changeEmail: 'page.changeEmail',
  } as const;
  const name = names[route];
  return name ? `${t(name)} · ${t('appName')}` : `${t('appName')} — ${t('tagline')}`;
}

export class Router {
  route = $state<Route>(parseRoute(location.pathname));

  constructor() {
    addEventListener('popstate', () => (this.route = parseRoute(location.pathname)));
  }

  /** Goes to a path of ours; the map's view stays in the query so links keep the place. */
  go(path: string): void {
    history.pushState(history.state, '', `${path}${location.search}`);
    this.route = parseRoute(path);
    scrollTo(0, 0);
  }

  /** For <a href> links: a plain click stays in the app, a modified one opens a tab as usual. */
  link = (event: MouseEvent): void => {
    const a = event.currentTarget as HTMLAnchorElement;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    this.go(new URL(a.href).pathname);
  };
}
