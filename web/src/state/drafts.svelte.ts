// What a new post starts from, when a page sends the person to write one
// (say, an offer answering the need on screen).
export interface Draft {
  kind: 'need' | 'offer';
  category: string;
}

export class DraftsState {
  draft = $state<Draft | null>(null);
}
