import { z } from 'zod';
import { httpDeps } from '../attest/deps.js';
import { joinUrl, jsonBody, send, serverMessage } from '../attest/forge-http.js';
import { gitHubApiFor } from '../attest/forges.js';
import { PhpublishError } from '../errors/index.js';
import { attestDepsFor, type ReleaseContext } from './context.js';

const START = '<!-- phpublish:posture:start -->';
const END = '<!-- phpublish:posture:end -->';
const FAILURE = { code: 'ATTEST_STORE_FAILED', service: 'GitHub releases' } as const;
/** What is read of GitHub's release answer: its id (for the update) and its notes. */
const RELEASE_ANSWER = z.looseObject({ id: z.number().int(), body: z.string().nullish() });

/** The release notes with the posture section added, or replaced when a re-run already added one. */
export function withPostureSection(notes: string, markdown: string): string {
  const section = `${START}\n${markdown.trim()}\n${END}`;
  const from = notes.indexOf(START);
  const to = notes.indexOf(END);
  if (from !== -1 && to > from) return `${notes.slice(0, from)}${section}${notes.slice(to + END.length)}`;
  return notes.trim() ? `${notes.trimEnd()}\n\n${section}\n` : `${section}\n`;
}

/** Appends the posture table to the GitHub release of `tag` (report.releaseNotes). */
export async function appendPostureToGitHubRelease(
  context: ReleaseContext,
  { tag, markdown }: { tag: string; markdown: string },
): Promise<void> {
  const token = context.env['GITHUB_TOKEN'] ?? context.env['GH_TOKEN'];
  if (!token)
    throw new PhpublishError('REPORT_RELEASE_NOTES_FAILED', {
      url: 'GitHub releases',
      reason: 'GITHUB_TOKEN is not set',
    });
  context.redactor.add(token);
  const deps = attestDepsFor(context);
  const api = gitHubApiFor({
    env: context.env,
    config: context.config.options.attest,
    token,
    http: httpDeps(deps, context.config.options.attest.requestTimeout),
    redactor: context.redactor,
  });
  const byTag = joinUrl(api.baseUrl, `/repos/${api.repository}/releases/tags/${encodeURIComponent(tag)}`);
  const found = await send(api, { method: 'GET', url: byTag, idempotent: true }, FAILURE);
  if (found.status !== 200) {
    throw new PhpublishError('REPORT_RELEASE_NOTES_FAILED', {
      url: byTag,
      reason: `HTTP ${found.status}: ${serverMessage(found, context.redactor)}`,
    });
  }
  const release = jsonBody(found, byTag, FAILURE, RELEASE_ANSWER);
  const url = joinUrl(api.baseUrl, `/repos/${api.repository}/releases/${release.id}`);
  const body = withPostureSection(release.body ?? '', markdown);
  const updated = await send(
    api,
    {
      method: 'PATCH',
      url,
      body: JSON.stringify({ body }),
      idempotent: true,
      headers: { 'content-type': 'application/json' },
    },
    FAILURE,
  );
  if (updated.status !== 200) {
    throw new PhpublishError('REPORT_RELEASE_NOTES_FAILED', {
      url,
      reason: `HTTP ${updated.status}: ${serverMessage(updated, context.redactor)}`,
    });
  }
  context.logger.success(`Added the posture table to the notes of GitHub release ${tag}.`);
}
