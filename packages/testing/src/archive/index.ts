export * from './repos.js';
export * from './zip-craft.js';
