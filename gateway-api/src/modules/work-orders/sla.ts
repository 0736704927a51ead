import { addWorkingMs, alwaysCalendar, workingMs, type Calendar } from './calendar.js';
import { type EscalationAction, type HistoryEntry, type Priority, type SlaClock, type WorkOrderState } from './model.js';

/**
 * SLA clocks derived from a work order's history alone (as zammad's escalation does), so they can be recomputed at
 * any time and never drift from what happened: no timer is stored. Pure: `now` is passed in.
 */

/** The goals of one priority, in milliseconds of working time (`hours: 'always'`: of every hour, 24x7). */
export interface SlaGoal {
  readonly acknowledgeMs: number;
  readonly resolveMs: number;
  readonly hours: 'working' | 'always';
}

/** A step of the escalation ladder: when a running clock reaches `percent` of its goal, do `action` (once per cycle). */
export interface EscalationStep {
  readonly percent: number;
  readonly action: EscalationAction;
}

export interface SlaPolicy {
  readonly goals: Readonly<Record<Priority, SlaGoal>>;
  /** In increasing percent. */
  readonly ladder: readonly EscalationStep[];
  /** Who a reassign step hands the work order to (an identity id). */
  readonly escalateTo: string;
}

const hour = 3_600_000;

/**
 * The default policy. P1 (critical alarms) counts every hour; the others count the calendar's working time (8 hours a
 * working day by default). Ladder: 50% notify, 80% reassign to the custodian's supervisor, 100% raise the priority.
 */
export const defaultPolicy: SlaPolicy = {
  goals: {
    P1: { acknowledgeMs: 0.5 * hour, resolveMs: 4 * hour, hours: 'always' },
    P2: { acknowledgeMs: 2 * hour, resolveMs: 16 * hour, hours: 'working' },
    P3: { acknowledgeMs: 8 * hour, resolveMs: 40 * hour, hours: 'working' },
    P4: { acknowledgeMs: 16 * hour, resolveMs: 80 * hour, hours: 'working' },
  },
  ladder: [
    { percent: 50, action: 'notify' },
    { percent: 80, action: 'reassign' },
    { percent: 100, action: 'raise-priority' },
  ],
  escalateTo: 'custodian.supervisor',
};

/** One clock: `running` counts now, `paused` (WAITING) does not, `stopped` reached its end (met or not). */
export interface ClockReading {
  readonly goalMs: number;
  readonly elapsedMs: number;
  readonly remainingMs: number;
  /** elapsed / goal, in percent (may exceed 100). */
  readonly percent: number;
  readonly status: 'running' | 'paused' | 'stopped';
  readonly breached: boolean;
  /** When the goal is reached if the clock keeps running; null when paused, stopped or already breached. */
  readonly dueAt: string | null;
  /** When the clock stopped (acknowledged / resolved); null while it runs. */
  readonly stoppedAt: string | null;
}

export interface Sla {
  /** The priority whose goals apply: the one in force when the cycle began (raising it later does not move goals). */
  readonly priority: Priority;
  /** The creation, or the last reopening: clocks and escalation steps count from here. */
  readonly cycleStartedAt: string;
  readonly acknowledge: ClockReading;
  readonly resolve: ClockReading;
}

const acknowledged: readonly WorkOrderState[] = ['ASSIGNED', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'];

/** The index of the entry the current cycle began with (the creation, or the last reopening). */
export function cycleStart(history: readonly HistoryEntry[]): number {
  for (let index = history.length - 1; index >= 0; index--) if (history[index]?.action === 'reopen') return index;
  return 0;
}

/** The priority in force after the entries up to and including `index`. */
function priorityAt(history: readonly HistoryEntry[], index: number): Priority {
  let priority: Priority = 'P4';
  for (const entry of history.slice(0, index + 1)) if (entry.priority !== undefined) priority = entry.priority;
  return priority;
}

/** The work order's priority now. */
export function currentPriority(history: readonly HistoryEntry[]): Priority {
  return priorityAt(history, history.length - 1);
}

/** The SLA clocks of a work order at `now`, from its history (oldest first, as appended). */
export function slaOf(history: readonly HistoryEntry[], policy: SlaPolicy, calendar: Calendar, now: Date): Sla {
  const start = cycleStart(history);
  const first = history[start];
  if (first === undefined) throw new Error('a work order has at least its creation in its history');
  const priority = priorityAt(history, start);
  const goal = policy.goals[priority];
  const clockCalendar = goal.hours === 'always' ? alwaysCalendar : calendar;
  const cycle = history.slice(start);
  const nowMs = now.getTime();
  const startedMs = Date.parse(first.at);

  // Acknowledge: from the cycle's start to the first entry that leaves OPEN (the start itself, for a reopening).
  const ack = cycle.find((entry) => acknowledged.includes(entry.to));
  const ackEnd = ack === undefined ? undefined : Date.parse(ack.at);
  const acknowledge = reading(clockCalendar, goal.acknowledgeMs, workingMs(clockCalendar, startedMs, ackEnd ?? nowMs), ackEnd, 'running', nowMs);

  // Resolve: the working time of the cycle's intervals outside WAITING, up to the first RESOLVED.
  let resolvedAt: number | undefined;
  let elapsed = 0;
  let state: WorkOrderState = first.to;
  let since = startedMs;
  for (const entry of cycle.slice(1)) {
    const at = Date.parse(entry.at);
    if (state !== 'WAITING') elapsed += workingMs(clockCalendar, since, at);
    state = entry.to;
    since = at;
    if (state === 'RESOLVED' || state === 'CLOSED') {
      resolvedAt = at;
      break;
    }
  }
  if (resolvedAt === undefined && state !== 'WAITING') elapsed += workingMs(clockCalendar, since, nowMs);
  const resolve = reading(clockCalendar, goal.resolveMs, elapsed, resolvedAt, state === 'WAITING' ? 'paused' : 'running', nowMs);
  return { priority, cycleStartedAt: first.at, acknowledge, resolve };
}

function reading(calendar: Calendar, goalMs: number, elapsedMs: number, stoppedAt: number | undefined, open: 'running' | 'paused', nowMs: number): ClockReading {
  const status = stoppedAt === undefined ? open : 'stopped';
  const remainingMs = Math.max(0, goalMs - elapsedMs);
  const due = status === 'running' && remainingMs > 0 ? addWorkingMs(calendar, nowMs, remainingMs) : undefined;
  return {
    goalMs,
    elapsedMs,
    remainingMs,
    percent: goalMs > 0 ? Math.floor((elapsedMs * 10_000) / goalMs) / 100 : 100,
    status,
    breached: elapsedMs >= goalMs,
    dueAt: due === undefined ? null : new Date(due).toISOString(),
    stoppedAt: stoppedAt === undefined ? null : new Date(stoppedAt).toISOString(),
  };
}

/** An escalation step that is due: its clock reached the step's percent in this cycle, and it was not taken yet. */
export interface DueEscalation {
  readonly clock: SlaClock;
  readonly step: EscalationStep;
}

/**
 * The escalation steps due at `now`, in order: for each clock still running, each step of the ladder its percent has
 * reached whose entry is not yet in the current cycle's history. Appending them makes this empty again.
 */
export function dueEscalations(history: readonly HistoryEntry[], policy: SlaPolicy, calendar: Calendar, now: Date): DueEscalation[] {
  const sla = slaOf(history, policy, calendar, now);
  const cycle = history.slice(cycleStart(history));
  const due: DueEscalation[] = [];
  for (const clock of ['acknowledge', 'resolve'] as const) {
    const clockReading = sla[clock];
    if (clockReading.status !== 'running') continue;
    for (const step of policy.ladder) {
      if (clockReading.percent < step.percent) continue;
      const taken = cycle.some((entry) => entry.escalation?.clock === clock && entry.escalation.percent === step.percent);
      if (!taken) due.push({ clock, step });
    }
  }
  return due;
}
