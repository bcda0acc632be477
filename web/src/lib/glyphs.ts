// One letter per category, so markers read without color (WCAG 1.4.1):
// drawn on the map's pins (map.ts) and beside each category in the filters,
// which are the map's legend. The letters are the same in every language
// (F for repairs: "fix"; K for companionship: "keep company"); the names
// beside them are translated.
export const CATEGORY_GLYPH: Record<string, string> = {
  ride: 'R',
  meal: 'M',
  tutoring: 'T',
  grocery: 'G',
  errand: 'E',
  childcare: 'C',
  repair: 'F',
  lending: 'L',
  companionship: 'K',
  other: '•',
};
