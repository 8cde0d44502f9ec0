import { defineErrors, type ErrorDefinition } from './definition.js';

export interface AnswerTooLarge {
  /** Without credentials, query or fragment. */
  url: string;
  /** The limit's name, as `--max-size <kind>=<size>` takes it. */
  kind: string;
  /** What the kind is, in words (`package metadata`). */
  kindTitle: string;
  /** The limit, formatted (`32 MiB`). */
  limit: string;
  /** What the Content-Length header said, when it said too much. */
  declared?: string;
}

export interface MalformedAnswer {
  service: string;
  url: string;
  status: number;
  /** What is wrong, with the JSON path of the first few problems. */
  problem: string;
}

/** Answers from remote services (Packagist, GitHub, GitLab) that cannot be used: malformed, too large. */
export const remoteErrors = defineErrors({
  REMOTE_ANSWER_TOO_LARGE: {
    title: 'A remote answer was larger than phpublish accepts',
    message: (p: AnswerTooLarge) =>
      `The answer from ${p.url} is larger than the ${p.limit} allowed for ${p.kindTitle}${p.declared ? ` (it announced ${p.declared})` : ''}; phpublish stopped reading it and did not ask again.`,
    remedy: (p: AnswerTooLarge) =>
      `If the answer really is that large, raise the limit: \`phpublish verify --max-size ${p.kind}=<size>\` (e.g. ${p.kind}=1GiB), or \`limits.${p.kind}\` where phpublish is used as a library. Otherwise the server, or a proxy on the way, is misbehaving: check the URL.`,
    docs: 'verify.md#limits',
  } satisfies ErrorDefinition<AnswerTooLarge>,
  REMOTE_ANSWER_MALFORMED: {
    title: 'A remote service answered something that is not its API’s answer',
    message: (p: MalformedAnswer) =>
      `${p.service} answered ${p.url} (HTTP ${p.status}) with something phpublish cannot use: ${p.problem}.`,
    remedy: () =>
      'Check the API URL (a proxy or a login page answers otherwise); if it is right, run again later and report it if it persists. Nothing from this answer was used.',
    docs: 'attestation.md#verification',
  } satisfies ErrorDefinition<MalformedAnswer>,
  VERIFY_INTERNAL_ERROR: {
    title: 'Verifying one package stopped on an unexpected error',
    message: (p: { packageName: string; reason: string }) =>
      `phpublish could not finish verifying ${p.packageName}: ${p.reason}.`,
    remedy: () =>
      'This is a phpublish defect: please report it with this message. Treat the package as unverified; the other packages were verified on their own.',
    docs: 'verify.md#output',
  } satisfies ErrorDefinition<{ packageName: string; reason: string }>,
});
