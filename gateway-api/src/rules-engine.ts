/** The pure rules engine and the definitions it evaluates, for tools that replay outside the gateway (benchmarks). */
export * from './modules/rules/engine/index.js';
export { ruleDefinition, ruleHash, type RuleDefinition, type RuleVersion } from './modules/rules/definition.js';
export { templateRules } from './modules/rules/templates.js';
