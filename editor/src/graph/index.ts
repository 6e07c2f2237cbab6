/** Graph ↔ json-rules-engine conversion for the rule editor. Pure: no React, no DOM. */
export * from './model';
export * from './paths';
export * from './layout';
export * from './to-graph';
export * from './to-rule';
export * from './operators';
export * from './diff';
export * from './evaluation';
export * from './json';
export * from './edit';
