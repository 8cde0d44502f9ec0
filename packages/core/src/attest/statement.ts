import type { Subject } from './subjects.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The DSSE payload type of in-toto statements. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** A SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance). */
export interface ProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: { uri: string; digest: Record<string, string> }[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string> };
    metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
  };
}

/** An in-toto Statement v1 carrying SLSA provenance. */
export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: ProvenancePredicate;
}

export function provenanceStatement(subjects: Subject[], predicate: ProvenancePredicate): ProvenanceStatement {
  return { _type: IN_TOTO_STATEMENT_TYPE, subject: subjects, predicateType: SLSA_PROVENANCE_V1, predicate };
}
