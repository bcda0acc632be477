// The audit log in plain words: which fields an entry changed, and each
// value as a person reads it ("Organizer", "yes", a local date) rather than
// as JSON. Pure, so it is unit-tested.

export interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const absent = (x: unknown) => x === undefined || x === null;

/**
 * The fields whose value differs between `before` and `after` (either may be
 * null: a creation, a removal). A field empty on both sides (an invite that
 * never expires) says nothing and is left out.
 */
export function auditChanges(before: unknown, after: unknown): Change[] {
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return fields
    .filter((f) => !(absent(b[f]) && absent(a[f])) && JSON.stringify(b[f]) !== JSON.stringify(a[f]))
    .map((f) => ({ field: f, before: b[f], after: a[f] }));
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export interface ValueWords {
  /** The interface text for a key, if there is one (`role.admin`, `yes`). */
  text(key: string): string | undefined;
  /** An instant as the reader's language writes it. */
  date(iso: string): string;
}

/** One value of an audit entry, in words: roles and statuses by name, yes/no, dates, counts for lists. */
export function auditValue(field: string, value: unknown, words: ValueWords): string {
  if (value === undefined || value === null) {
    return '—';
  }
  if (typeof value === 'boolean') {
    return words.text(value ? 'yes' : 'no') ?? String(value);
  }
  if (Array.isArray(value)) {
    return String(value.length);
  }
  if (typeof value === 'string') {
    const named = field === 'role' ? words.text(`role.${value}`) : field === 'status' ? words.text(`status.${value}`) : field === 'joinPolicy' ? words.text(value === 'open' ? 'joinOpen' : 'joinInvite') : undefined;
    if (named) {
      return named;
    }
    return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value)) ? words.date(value) : value;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
