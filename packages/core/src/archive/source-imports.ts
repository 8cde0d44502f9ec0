import { registerHooks } from 'node:module';

/**
 * Loaded (`--import`) into a compression worker only when phpublish runs from its TypeScript
 * sources, as under the tests: Node strips the types of a `.ts` module, but the sources import
 * each other by their compiled names (`../git/batch.js`), so a relative `.js` import that does
 * not exist is looked for as `.ts`. Compiled code never loads this module.
 */
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
      return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, context);
    }
  },
});
