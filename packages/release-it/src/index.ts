// The release-it plugin (`plugins["@phpublish/release-it"]` in the release-it configuration).
export { default } from './plugin.js';
