import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Working time: a time zone, working hours per weekday and holidays. Pure functions over instants (epoch ms); the
 * local dates and hours are read in the calendar's zone with luxon, so a daylight-saving change moves the hours
 * with the wall clock, as people keep them.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** Local working hours, `HH:mm` to `HH:mm` (`24:00` ends at midnight). */
export interface WorkingSpan {
  readonly from: string;
  readonly to: string;
}

export interface Calendar {
  /** IANA zone, e.g. Asia/Shanghai: where the hours and the holidays' dates are read. */
  readonly timeZone: string;
  /** Working hours by weekday; a weekday without any is not a working day. */
  readonly hours: Readonly<Partial<Record<Weekday, readonly WorkingSpan[]>>>;
  /** Local ISO dates (2030-10-01) with no working time, whatever the weekday. */
  readonly holidays: readonly string[];
}

const nineToFive: readonly WorkingSpan[] = [{ from: '09:00', to: '17:00' }];

/** The default: Shanghai, Monday to Friday 09:00-17:00 (a working day is 8 hours), no holidays until configured. */
export const defaultCalendar: Calendar = {
  timeZone: 'Asia/Shanghai',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  holidays: [],
};

const allDay: readonly WorkingSpan[] = [{ from: '00:00', to: '24:00' }];

/** Every minute counts (24x7): the clock of goals that do not wait for office hours. */
export const alwaysCalendar: Calendar = {
  timeZone: 'UTC',
  hours: Object.fromEntries(weekdays.map((day) => [day, allDay])),
  holidays: [],
};

export const timeZone = z
  .string()
  .max(64)
  .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Asia/Shanghai');

const clockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:mm (00:00 to 24:00)');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date (YYYY-MM-DD)')
  .refine((date) => DateTime.fromISO(date).isValid, 'must be a real date');

export const calendarSchema = z.strictObject({
  timeZone,
  hours: z.partialRecord(
    z.enum(weekdays),
    z
      .array(z.strictObject({ from: clockTime, to: clockTime }).refine((span) => span.from < span.to, 'a span must end after it starts'))
      .max(4),
  ),
  holidays: z.array(isoDate).max(400),
});

const minutes = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The day after a run of this many local days without working time is taken as "never" (a calendar without hours). */
const HORIZON_DAYS = 3_660;

/** The working intervals ([start, end) epoch ms) of one local day, in order. */
function workingIntervalsOf(calendar: Calendar, day: DateTime): [number, number][] {
  const date = day.toISODate();
  if (date === null || calendar.holidays.includes(date)) return [];
  const spans = calendar.hours[weekdays[day.weekday - 1] ?? 'mon'] ?? [];
  const at = (time: string): number => day.startOf('day').plus({ minutes: minutes(time) }).toMillis();
  return spans.map((span): [number, number] => [at(span.from), at(span.to)]).sort((a, b) => a[0] - b[0]);
}

/** Whether a local ISO date is a working day: not a holiday, and its weekday has working hours. */
export function isWorkingDay(calendar: Calendar, date: string): boolean {
  const day = DateTime.fromISO(date, { zone: calendar.timeZone });
  return day.isValid && workingIntervalsOf(calendar, day).length > 0;
}

/** The local ISO date of an instant in a zone. */
export function localDate(instant: number, zone: string): string {
  return DateTime.fromMillis(instant, { zone }).toISODate() ?? '';
}

/** Working milliseconds between two instants (0 when `to` is not after `from`). */
export function workingMs(calendar: Calendar, from: number, to: number): number {
  if (!(to > from)) return 0;
  let total = 0;
  let day = DateTime.fromMillis(from, { zone: calendar.timeZone }).startOf('day');
  while (day.toMillis() < to) {
    for (const [start, end] of workingIntervalsOf(calendar, day)) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
    day = day.plus({ days: 1 });
  }
  return total;
}

/** The instant at which `ms` of working time have passed after `from`; undefined when the calendar never gets there. */
export function addWorkingMs(calendar: Calendar, from: number, ms: number): number | undefined {
  let left = ms;
  let day = DateTime.fromMillis(from, { zone: calendar.timeZone }).startOf('day');
  for (let idle = 0; idle < HORIZON_DAYS; idle++) {
    for (const [start, end] of workingIntervalsOf(calendar, day)) {
      const begin = Math.max(start, from);
      if (end <= begin) continue;
      idle = 0;
      if (end - begin >= left) return begin + left;
      left -= end - begin;
    }
    day = day.plus({ days: 1 });
  }
  return undefined;
}
