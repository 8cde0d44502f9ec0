export { quoteValue } from './quote.js';
export {
  decodeUtf8,
  INPUT_LIMITS,
  InputFileProblem,
  readInputFile,
  readInputJson,
  readInputText,
} from './read-input-file.js';
export { jsonPath, MAX_DEPTH, parseStrictJson, StrictJsonProblem } from './strict-json.js';
