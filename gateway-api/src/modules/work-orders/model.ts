import { z } from 'zod';
/** A work order's states, its one transition table, and the history entries every change appends. */

export const workOrderStates = ['OPEN', 'ASSIGNED', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'] as const;
export type WorkOrderState = (typeof workOrderStates)[number];

export const priorities = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof priorities)[number];

export const severities = ['info', 'warning', 'major', 'critical'] as const;
export type Severity = (typeof severities)[number];

/** What a person does to a work order, each through its own route (`POST /v1/work-orders/{id}/<route>`). */
export const transitionNames = ['assignment', 'start', 'waiting', 'resolution', 'closure', 'reopening'] as const;
export type TransitionName = (typeof transitionNames)[number];

/**
 * The transition table: from which states each transition is allowed, and the state it leads to (`same`: the state
 * does not change, only the assignee). Docs and tests read this table.
 * - assignment names (or changes) the assignee; from OPEN it makes the order ASSIGNED, later it only hands it on;
 * - start begins the work, or resumes it after WAITING;
 * - reopening goes back to ASSIGNED (the same assignee, or the one the body names): whoever had it redoes it.
 */
export const transitions: Readonly<Record<TransitionName, { readonly from: readonly WorkOrderState[]; readonly to: WorkOrderState | 'same' }>> = {
  assignment: { from: ['OPEN', 'ASSIGNED', 'IN_PROGRESS', 'WAITING'], to: 'same' },
  start: { from: ['ASSIGNED', 'WAITING'], to: 'IN_PROGRESS' },
  waiting: { from: ['IN_PROGRESS'], to: 'WAITING' },
  resolution: { from: ['IN_PROGRESS'], to: 'RESOLVED' },
  closure: { from: ['RESOLVED'], to: 'CLOSED' },
  reopening: { from: ['RESOLVED', 'CLOSED'], to: 'ASSIGNED' },
};

/**
 * Who in the custodian may run each transition: the supervisor assigns and closes; clerks and supervisors do the
 * work. The API enforces this table and the console offers a transition only when it and `transitions` allow it.
 */
export const transitionActors: Readonly<Record<TransitionName, readonly ('clerk' | 'supervisor')[]>> = {
  assignment: ['supervisor'],
  start: ['clerk', 'supervisor'],
  waiting: ['clerk', 'supervisor'],
  resolution: ['clerk', 'supervisor'],
  closure: ['supervisor'],
  reopening: ['clerk', 'supervisor'],
};

/** The state a transition leads to from `from` (assignment from OPEN assigns; later ones keep the state). */
export function targetState(name: TransitionName, from: WorkOrderState): WorkOrderState {
  const { to } = transitions[name];
  if (to !== 'same') return to;
  return from === 'OPEN' ? 'ASSIGNED' : from;
}

/** The two SLA clocks: time to acknowledge (ASSIGNED or IN_PROGRESS), time to resolve (RESOLVED). */
export const slaClocks = ['acknowledge', 'resolve'] as const;
export type SlaClock = (typeof slaClocks)[number];

export const escalationActions = ['notify', 'reassign', 'raise-priority'] as const;
export type EscalationAction = (typeof escalationActions)[number];

export const historyActions = ['create', 'assign', 'start', 'wait', 'resolve', 'close', 'reopen', 'escalate'] as const;
export type HistoryAction = (typeof historyActions)[number];

/** The history action each transition appends. */
export const actionOf: Readonly<Record<TransitionName, HistoryAction>> = {
  assignment: 'assign',
  start: 'start',
  waiting: 'wait',
  resolution: 'resolve',
  closure: 'close',
  reopening: 'reopen',
};

/** One entry of a work order's history; `at` is the gateway clock's ISO time, `actor` an identity id. */
export interface HistoryEntry {
  readonly at: string;
  readonly actor: string;
  readonly action: HistoryAction;
  readonly from: WorkOrderState | null;
  readonly to: WorkOrderState;
  readonly note?: string | undefined;
  readonly evidenceIds?: readonly string[] | undefined;
  /** Set by create (the priority raised with) and by a raise-priority escalation (the new one). */
  readonly priority?: Priority | undefined;
  /** Set by assign, reopen and a reassign escalation: who has the order from now on. */
  readonly assignee?: string | undefined;
  /** Set by escalate: which clock reached which step of the ladder. */
  readonly escalation?: { readonly clock: SlaClock; readonly percent: number; readonly action: EscalationAction } | undefined;
}

/** The actor of the escalation entries the gateway appends on its own. */
export const escalationActor = 'work-orders.escalation';

/** The actor of the creation entries of work orders a schedule raised. */
export const scheduleActor = 'work-orders.schedule';

/** One priority more urgent (P1 stays P1). */
export function raised(priority: Priority): Priority {
  const index = priorities.indexOf(priority);
  return priorities[Math.max(0, index - 1)] ?? 'P1';
}

/** The priority an alarm of this severity raises its work order with. */
export const priorityOfSeverity: Readonly<Record<Severity, Priority>> = { critical: 'P1', major: 'P2', warning: 'P3', info: 'P4' };

/** A history entry as stored and as the API shows it. */
export const historyEntrySchema: z.ZodType<HistoryEntry> = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(historyActions),
  from: z.enum(workOrderStates).nullable(),
  to: z.enum(workOrderStates),
  note: z.string().optional(),
  evidenceIds: z.array(z.string()).optional(),
  priority: z.enum(priorities).optional(),
  assignee: z.string().optional(),
  escalation: z.object({ clock: z.enum(slaClocks), percent: z.number(), action: z.enum(escalationActions) }).optional(),
});
