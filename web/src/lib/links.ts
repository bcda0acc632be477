// The links Aidmap e-mails (verify an address, choose a new password) carry
// a one-time token in the query.

/** The link's token, if any. */
export function linkToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

/**
 * Takes the token out of the address bar (the map's view in the query
 * stays), so it is not kept in the history, shown over a shoulder or shared
 * by copying the address.
 */
export function forgetToken(): void {
  const q = new URLSearchParams(location.search);
  q.delete('token');
  const rest = q.toString();
  history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
}
