export { type ArchiveResult, archiveFolder, type BuildArchiveInput, buildArchive } from './build-archive.js';
export {
  CONTENT_DIGEST_PREFIX,
  CONTENT_DIGEST_VERSION,
  ContentDigestBuilder,
  type ContentKind,
} from './content-digest.js';
export {
  contentDigestOfRef,
  contentDigestOfZip,
  DEFAULT_MAX_UNPACKED_BYTES,
  type DigestLimits,
  type RefDigest,
  type ZipDigest,
} from './digest.js';
export { type ExportEntry, type ExportOptions, type ExportPlan, planExport } from './export-plan.js';
