import { z } from 'zod';
import { schemaProblems } from '../http/json-answer.js';

/** One version of a package as p2 metadata describes it (only the keys phpublish reads are typed). */
export interface PackageVersion {
  name?: string;
  version: string;
  version_normalized?: string;
  source?: { type?: string; url?: string; reference?: string };
  dist?: { type?: string; url?: string; reference?: string; shasum?: string };
  [key: string]: unknown;
}

const UNSET = '__unset';

/** A text field; Composer repositories write `null` for an unknown one, which reads as absent. */
const text = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);
const absentIfNull = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

/**
 * Every key of a version that phpublish reads, with its type; other keys are kept as they are
 * (they are not read). A wrong type anywhere makes the whole document unusable.
 */
const versionSchema = z.looseObject({
  name: text,
  version: z.string().min(1, 'must not be empty'),
  version_normalized: text,
  source: absentIfNull(z.looseObject({ type: text, url: text, reference: text })),
  dist: absentIfNull(z.looseObject({ type: text, url: text, reference: text, shasum: text })),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const documentSchema = z.object({
  minified: z.string().optional(),
  packages: z.record(z.string(), z.unknown()),
});
const versionListSchema = z.array(z.custom<Record<string, unknown>>(isObject, 'must be an object'));

/**
 * Expands Composer's minified p2 format ("composer/2.0"): the first entry is complete, each later
 * entry holds only the keys that differ from the previous *expanded* entry, and "__unset" removes a
 * key. Same algorithm as composer/metadata-minifier's `expand`.
 */
export function expandMinifiedVersions(entries: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const expanded: Record<string, unknown>[] = [];
  let previous = new Map<string, unknown>();
  for (const entry of entries) {
    // A map, not an object: a key such as "__proto__" stays a key like any other.
    const current = new Map(previous);
    for (const [key, value] of Object.entries(entry)) {
      if (value === UNSET) current.delete(key);
      else current.set(key, value);
    }
    expanded.push(Object.fromEntries(current));
    previous = current;
  }
  return expanded;
}

/**
 * The versions of `packageName` in a p2 document, expanded when the document says it is minified,
 * each checked against the types phpublish relies on. Throws a plain Error that says where the
 * document is wrong when it is not p2 metadata.
 */
export function versionsFromP2(document: unknown, packageName: string): PackageVersion[] {
  const name = packageName.toLowerCase();
  const doc = documentSchema.safeParse(document);
  if (!doc.success)
    throw new Error(`it is not p2 metadata, an object with a "packages" object (${schemaProblems(doc.error)})`);
  if (!Object.hasOwn(doc.data.packages, name)) return [];
  const where = `packages["${name}"]`;
  const list = versionListSchema.safeParse(doc.data.packages[name]);
  if (!list.success) throw new Error(`${where} is not a list of versions (${schemaProblems(list.error, where)})`);
  const entries = doc.data.minified === 'composer/2.0' ? expandMinifiedVersions(list.data) : list.data;
  return entries.map((entry, index) => {
    const version = versionSchema.safeParse(entry);
    if (version.success) return version.data as PackageVersion;
    const label = typeof entry['version'] === 'string' ? `version ${JSON.stringify(entry['version'])}` : 'a version';
    throw new Error(`${label} (${where}[${index}]) is malformed: ${schemaProblems(version.error)}`);
  });
}
