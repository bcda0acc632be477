import type { ValidateFunction } from 'ajv';
import type { CATEGORIES, POST_KINDS } from '../../db/schema';
import { fieldErrors } from '../http/problem';
import { bodyAjv } from '../plugins/validation';
import { buildSchedule, type Recurrence, validateRecurrence, type Window } from './windows';
import { type FieldError } from '../contract/problem';
import { type CreatePostBody, MealDetailsSchema, NoDetailsSchema, RideDetailsSchema, TutoringDetailsSchema } from '../contract/posts';

/** The longest one-off window: a week's meals fit, a month-long "window" is a mistake. */
export const MAX_WINDOW_MS = 31 * 24 * 3600 * 1000;

/** Categories that count seats, servings or learners; the rest are one at a time. */
export const COUNTED_CATEGORIES: ReadonlySet<string> = new Set(['ride', 'meal', 'tutoring']);

const detailValidators: Record<string, ValidateFunction> = {
  ride: bodyAjv.compile(RideDetailsSchema),
  meal: bodyAjv.compile(MealDetailsSchema),
  tutoring: bodyAjv.compile(TutoringDetailsSchema),
};
const noDetails = bodyAjv.compile(NoDetailsSchema);

/** A post's fields after defaults, as stored and as edited. */
export interface PostInput {
  kind: (typeof POST_KINDS)[number];
  category: (typeof CATEGORIES)[number];
  title: string;
  description?: string | undefined;
  location: { lat: number; lng: number };
  radiusM: number;
  windows: Window[];
  recurrence?: Recurrence | undefined;
  capacity: number;
  details: Record<string, unknown>;
}

export function withDefaults(body: CreatePostBody): PostInput {
  return {
    ...body,
    radiusM: body.radiusM ?? 2000,
    windows: body.windows ?? [],
    capacity: body.capacity ?? 1,
    details: body.details ?? {},
  };
}

/** True when `tag` is a well-formed BCP 47 language tag. */
export function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** Category rules for `details`, with paths relative to the post body. */
export function validateDetails(kind: PostInput['kind'], category: PostInput['category'], details: Record<string, unknown>): FieldError[] {
  const check = detailValidators[category] ?? noDetails;
  if (!check(details)) {
    const errors = fieldErrors(check.errors ?? [], '/details');
    return check === noDetails
      ? errors.map((e) => ({ ...e, message: `is not a detail a ${category} post takes` }))
      : errors;
  }
  const errors: FieldError[] = [];
  if (category === 'ride' && kind === 'need' && details.destination === undefined) {
    errors.push({ path: '/details/destination', message: 'is required: a ride need says where it goes', code: 'ride.destination' });
  }
  if (category === 'tutoring') {
    if (String(details.subject).trim() === '') {
      errors.push({ path: '/details/subject', message: 'must not be blank', code: 'blank' });
    }
    const languages = (details.languages ?? []) as string[];
    languages.forEach((tag, i) => {
      if (!isLanguageTag(tag)) {
        errors.push({ path: `/details/languages/${i}`, message: 'must be a BCP 47 language tag, like "es" or "en-US"', code: 'language_tag' });
      }
    });
  }
  return errors;
}

/** A weekly rule's problems are coded by the part they are about (the rule's own messages say more). */
function recurrenceCode(path: string): string {
  const part = path.split('/')[1] ?? '';
  return part === 'timezone' ? 'time_zone' : part === 'days' ? 'recurrence.days' : part === 'startTime' || part === 'endTime' ? 'recurrence.times' : 'recurrence.dates';
}

/**
 * Everything about a post that its JSON schema cannot say. `checkTimes`
 * asks that the post still have an upcoming window, so a wrong year or a
 * past date is caught while the author is still writing.
 */
export function validatePost(post: PostInput, now: Date, checkTimes: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (post.title.trim() === '') {
    errors.push({ path: '/title', message: 'must not be blank', code: 'blank' });
  }
  if (!COUNTED_CATEGORIES.has(post.category) && post.capacity !== 1) {
    errors.push({ path: '/capacity', message: `must be 1: only rides, meals and tutoring count seats, servings or learners`, code: 'capacity.uncounted' });
  }
  post.windows.forEach((w, i) => {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    if (!(end > start)) {
      errors.push({ path: `/windows/${i}/end`, message: 'must be after start', code: 'window.end_before_start' });
    } else if (end - start > MAX_WINDOW_MS) {
      errors.push({ path: `/windows/${i}/end`, message: 'must be at most 31 days after start; split longer times into several windows or use a weekly schedule', code: 'window.too_long', limit: 31 });
    }
  });
  if (post.recurrence) {
    errors.push(...validateRecurrence(post.recurrence).map((e) => ({ ...e, path: `/recurrence${e.path}`, code: e.code ?? recurrenceCode(e.path) })));
  }
  if (post.windows.length === 0 && !post.recurrence) {
    errors.push({ path: '/windows', message: 'give at least one time: one-off windows or a weekly recurrence', code: 'windows.none' });
  }
  errors.push(...validateDetails(post.kind, post.category, post.details));
  if (errors.length === 0 && checkTimes && buildSchedule(post.windows, post.recurrence, now).length === 0) {
    errors.push({
      path: post.recurrence ? '/recurrence' : '/windows',
      message: 'has no upcoming time: every window is already over',
      code: 'windows.past',
    });
  }
  return errors;
}
