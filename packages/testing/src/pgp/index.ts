export * from './fixtures.js';
export * from './gnupg.js';
export * from './keys.js';
