export {
  clearLeakScan,
  describeLeaks,
  findLeaks,
  type Leak,
  type LeakPlace,
  recordedPlaces,
  recordForLeakScan,
  registeredSecrets,
  registerSecret,
  secretForms,
  type TestSecret,
} from './leak-scan.js';
export { recordFilesForLeakScan, recordGitObjectsForLeakScan } from './leak-sources.js';
