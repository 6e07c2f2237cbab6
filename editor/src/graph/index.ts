/** Graph ↔ json-rules-engine conversion for the rule editor. Pure: no React, no DOM. */
export * from './model';
export * from './paths';
export * from './layout';
export * from './to-graph';
export * from './to-rule';
export * from './rule-changes';
export * from './evaluation';
export * from './edit';
