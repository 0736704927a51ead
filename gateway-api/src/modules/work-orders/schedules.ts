import { Cron } from 'croner';
import { DateTime } from 'luxon';
import { isWorkingDay, localDate, type Calendar } from './calendar.js';
import type { Priority } from './model.js';

/**
 * When a schedule raises its work orders. The cron expression (croner: 5 fields, read in the schedule's IANA zone)
 * names the candidate times; the day rule then keeps those the calendar allows. Cron alone cannot say "the first
 * working day of the quarter": `0 8 * 1,4,7,10 *` with the rule `first-working-day` can (08:00 on every day of
 * January, April, July and October; of those, the first that is a working day, once a month). Candidates should
 * span the whole month: a range like `1-7` finds nothing when a holiday week covers it (China's 1-7 October).
 */

export const dayRules = ['any', 'working-day', 'first-working-day'] as const;
/** any: every cron time; working-day: those on working days; first-working-day: of those, the first in each local month. */
export type DayRule = (typeof dayRules)[number];

export interface ScheduleDefinition {
  readonly id: string;
  readonly cron: string;
  readonly timeZone: string;
  readonly dayRule: DayRule;
  readonly title: string;
  readonly description?: string | undefined;
  readonly priority: Priority;
  readonly scope: { readonly warehouseId: string; readonly locationClass?: string | undefined };
}

/** Parses a cron expression as schedules use it; throws croner's error when it is not one. */
export function parseCron(expression: string, timeZone: string): Cron {
  const cron = new Cron(expression, { timezone: timeZone, paused: true, mode: '5-part' });
  // croner checks the zone only when it computes a time.
  cron.nextRun(new Date(0));
  return cron;
}

/** The reason a cron expression is refused, or undefined when it parses. */
export function cronProblem(expression: string, timeZone = 'UTC'): string | undefined {
  try {
    parseCron(expression, timeZone);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Cron times in (after, until], at most `max`. */
function cronTimes(cron: Cron, after: Date, until: Date, max: number): Date[] {
  const times: Date[] = [];
  let previous = after;
  while (times.length < max) {
    const next = cron.nextRun(previous);
    if (next === null || next.getTime() > until.getTime()) break;
    times.push(next);
    previous = next;
  }
  return times;
}

/** Whether a cron time passes the schedule's day rule. */
function kept(schedule: ScheduleDefinition, cron: Cron, calendar: Calendar, time: Date): boolean {
  if (schedule.dayRule === 'any') return true;
  const working = (instant: Date): boolean => isWorkingDay(calendar, localDate(instant.getTime(), schedule.timeZone));
  if (!working(time)) return false;
  if (schedule.dayRule === 'working-day') return true;
  // First working day of its month: no earlier cron time of the same local month fell on a working day.
  const monthStart = DateTime.fromMillis(time.getTime(), { zone: schedule.timeZone }).startOf('month').toMillis();
  return !cronTimes(cron, new Date(monthStart - 1), new Date(time.getTime() - 1), 1_000).some(working);
}

/**
 * The occurrences of a schedule in (after, until] that raise a work order, oldest first, and how far they were
 * looked at: `consideredUntil` is `until`, or the last candidate looked at when `max` cut the list short.
 */
export function occurrences(
  schedule: ScheduleDefinition,
  calendar: Calendar,
  after: Date,
  until: Date,
  max = 1_000,
): { readonly due: Date[]; readonly consideredUntil: Date } {
  const cron = parseCron(schedule.cron, schedule.timeZone);
  const candidates = cronTimes(cron, after, until, max);
  const due = candidates.filter((time) => kept(schedule, cron, calendar, time));
  const consideredUntil = candidates.length === max ? (candidates.at(-1) ?? until) : until;
  return { due, consideredUntil };
}
