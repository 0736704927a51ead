import { sha256 } from '@wr/anchor';
import type { RuleDefinition, RuleScope } from './definition.js';

/**
 * Default cold-chain rules, so that a warehouse starts with working supervision. Every template passes
 * `ruleDefinition` (a test checks it); ids are deterministic: `<template>-<role>-<scope key>`.
 */

export const templateNames = ['frozen', 'chilled'] as const;
export type TemplateName = (typeof templateNames)[number];

const minute = 60 * 1000;
const hour = 60 * minute;

/** The key of a scope inside an id: `wh-<id>`, `lot-<id>` or `com-<commodity>`, characters outside `[A-Za-z0-9._-]` as `-`. */
export function scopeKey(scope: RuleScope): string {
  const raw = 'warehouseId' in scope ? `wh-${scope.warehouseId}` : 'lotId' in scope ? `lot-${scope.lotId}` : `com-${scope.commodity}`;
  return raw.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** `<prefix>-<scope key>`, shortened with a hash of the whole key when it would exceed the 64 characters of a rule id. */
function ruleId(prefix: string, scope: RuleScope): string {
  const key = scopeKey(scope);
  const id = `${prefix}-${key}`;
  if (id.length <= 64) return id;
  const digest = sha256(Buffer.from(key, 'utf8')).toString('hex').slice(0, 12);
  return `${prefix}-${key.slice(0, 64 - prefix.length - 14)}-${digest}`;
}

type Role = (scope: RuleScope) => RuleDefinition;

const frozen: readonly Role[] = [
  // Hysteresis of 2 °C: a freezer cycling around −18 raises once, clears only when well back.
  (scope) => ({ id: ruleId('frozen-high', scope), title: 'Frozen: above −18 °C', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: -18, forMs: 10 * minute }, clear: { op: 'lte', value: -20, forMs: 5 * minute } }),
  (scope) => ({ id: ruleId('frozen-sustained', scope), title: 'Frozen: above −15 °C for 30 min', scope, kind: 'sustained', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: -15, forMs: 30 * minute }, clear: { op: 'lte', value: -18, forMs: 10 * minute } }),
  (scope) => ({ id: ruleId('frozen-cumulative', scope), title: 'Frozen: 2 h above −18 °C within 24 h', scope, kind: 'cumulative', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: -18 }, clear: { op: 'lte', value: -18 }, windowMs: 24 * hour, budgetMs: 2 * hour }),
  (scope) => ({ id: ruleId('frozen-rate', scope), title: 'Frozen: warming faster than 5 °C per hour', scope, kind: 'rate-of-change', metric: 'temperature', severity: 'warning', raise: { op: 'gt', value: 5, forMs: 10 * minute }, clear: { op: 'lte', value: 2, forMs: 10 * minute }, perMs: hour }),
  (scope) => ({ id: ruleId('frozen-offline', scope), title: 'Frozen: no temperature for 15 min', scope, kind: 'offline', metric: 'temperature', severity: 'major', forMs: 15 * minute, seqGap: true }),
];

const chilled: readonly Role[] = [
  (scope) => ({ id: ruleId('chilled-high', scope), title: 'Chilled: above 4 °C', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4, forMs: 10 * minute }, clear: { op: 'lte', value: 3.5, forMs: 5 * minute } }),
  (scope) => ({ id: ruleId('chilled-low', scope), title: 'Chilled: below 0 °C (freezing)', scope, kind: 'threshold', metric: 'temperature', severity: 'major', raise: { op: 'lt', value: 0, forMs: 10 * minute }, clear: { op: 'gte', value: 0.5, forMs: 5 * minute } }),
  (scope) => ({ id: ruleId('chilled-sustained', scope), title: 'Chilled: above 8 °C for 30 min', scope, kind: 'sustained', metric: 'temperature', severity: 'critical', raise: { op: 'gt', value: 8, forMs: 30 * minute }, clear: { op: 'lte', value: 4, forMs: 10 * minute } }),
  (scope) => ({ id: ruleId('chilled-cumulative', scope), title: 'Chilled: 1 h above 4 °C within 24 h', scope, kind: 'cumulative', metric: 'temperature', severity: 'major', raise: { op: 'gt', value: 4 }, clear: { op: 'lte', value: 4 }, windowMs: 24 * hour, budgetMs: hour }),
  (scope) => ({ id: ruleId('chilled-offline', scope), title: 'Chilled: no temperature for 15 min', scope, kind: 'offline', metric: 'temperature', severity: 'major', forMs: 15 * minute, seqGap: true }),
];

/** The default rules of a template for a scope, in a fixed order. */
export function templateRules(name: TemplateName, scope: RuleScope): RuleDefinition[] {
  return (name === 'frozen' ? frozen : chilled).map((role) => role(scope));
}

/**
 * An example door schedule, not among the defaults (opening hours are the warehouse's own): the door may be open
 * Monday to Friday 07:00–19:00 and Saturday 08:00–12:00 local time; open otherwise for 2 min raises a warning.
 */
export function doorScheduleExample(scope: RuleScope, timeZone = 'Europe/Berlin'): RuleDefinition {
  return {
    id: ruleId('door-hours', scope),
    title: 'Door open outside working hours',
    scope,
    kind: 'door-schedule',
    metric: 'door',
    severity: 'warning',
    timeZone,
    hours: [
      { days: [1, 2, 3, 4, 5], from: '07:00', to: '19:00' },
      { days: [6], from: '08:00', to: '12:00' },
    ],
    forMs: 2 * minute,
  };
}
