export * from './writeback';
export * from './audit';
export * from './errors';
export * from './ruleset';
export * from './api';
export * from './flowfile';
export * from './permissions';
export * from './flowversion';
