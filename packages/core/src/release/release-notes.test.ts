import { type SandboxGitHub, startSandboxGitHub } from '@phpublish/sandbox';
import { codeOf } from '@phpublish/testing/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from './context.js';
import { appendPostureToGitHubRelease, withPostureSection } from './release-notes.js';

const REPO = 'acme/hello';
const TABLE = '| Check | Result |\n|---|---|\n| Signed tag | yes |';
let github: SandboxGitHub;

beforeEach(async () => {
  github = await startSandboxGitHub();
  github.addRepository(REPO);
});
afterEach(async () => github.close());

function context(token: string | undefined) {
  const logger = memoryLogger();
  const env: Record<string, string> = { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPO };
  if (token) env['GITHUB_TOKEN'] = token;
  return { ctx: createReleaseContext({ cwd: process.cwd(), env, logger, retry: { attempts: 1 } }), logger };
}

/** The notes the release tool wrote, set the way it sets them (through the API). */
async function setNotes(id: number, token: string, body: string) {
  const res = await fetch(`${github.url}/repos/${REPO}/releases/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  expect(res.status).toBe(200);
}

describe('when the posture table is added to release notes', () => {
  it('goes after the notes the release tool wrote, separated by a blank line', () => {
    const notes = withPostureSection('## Changes\n- fixed X\n\n', TABLE);
    expect(notes).toBe(
      `## Changes\n- fixed X\n\n<!-- phpublish:posture:start -->\n${TABLE}\n<!-- phpublish:posture:end -->\n`,
    );
  });

  it('replaces the section a previous run added, keeping what is around it', () => {
    const once = withPostureSection('Intro', 'old table');
    const edited = `${once}Footer written later\n`;
    const twice = withPostureSection(edited, TABLE);
    expect(twice.match(/phpublish:posture:start/g)).toHaveLength(1);
    expect(twice).not.toContain('old table');
    expect(twice).toContain(TABLE);
    expect(twice.startsWith('Intro\n\n')).toBe(true);
    expect(twice.endsWith('Footer written later\n')).toBe(true);
  });

  it('is the whole of empty notes', () => {
    expect(withPostureSection('  \n', TABLE)).toBe(
      `<!-- phpublish:posture:start -->\n${TABLE}\n<!-- phpublish:posture:end -->\n`,
    );
  });
});

describe('when the GitHub release of the tag exists', () => {
  it('adds the table to its notes once, also when the report runs again', async () => {
    const token = github.issueToken(REPO, { contents: 'write' });
    const { id } = github.createRelease(REPO, 'v1.0.0');
    await setNotes(id, token, '## Changes\n- fixed X');
    const { ctx, logger } = context(token);

    await appendPostureToGitHubRelease(ctx, { tag: 'v1.0.0', markdown: TABLE });
    await appendPostureToGitHubRelease(ctx, { tag: 'v1.0.0', markdown: TABLE });

    const notes = github.releaseNotes(REPO, 'v1.0.0');
    expect(notes.startsWith('## Changes\n- fixed X\n\n')).toBe(true);
    expect(notes.match(/\| Signed tag \| yes \|/g)).toHaveLength(1);
    expect(logger.lines.join('\n')).toMatch(/Added the posture table to the notes of GitHub release v1\.0\.0/);
  });
});

describe('when the notes cannot be updated', () => {
  it('fails with REPORT_RELEASE_NOTES_FAILED without a token, sending nothing', async () => {
    github.createRelease(REPO, 'v1.0.0');
    const { ctx } = context(undefined);
    expect(await codeOf(appendPostureToGitHubRelease(ctx, { tag: 'v1.0.0', markdown: TABLE }))).toBe(
      'REPORT_RELEASE_NOTES_FAILED',
    );
    expect(github.requests).toEqual([]);
  });

  it('fails with REPORT_RELEASE_NOTES_FAILED naming HTTP 404 when the tag has no release', async () => {
    const token = github.issueToken(REPO, { contents: 'write' });
    const error = await appendPostureToGitHubRelease(context(token).ctx, { tag: 'v9.9.9', markdown: TABLE }).catch(
      (e: unknown) => e,
    );
    expect(isPhpublishError(error, 'REPORT_RELEASE_NOTES_FAILED')).toBe(true);
    expect(String(error)).toMatch(/HTTP 404/);
  });

  it('fails with REPORT_RELEASE_NOTES_FAILED when the token may read but not write, leaving the notes as they were', async () => {
    const writer = github.issueToken(REPO, { contents: 'write' });
    const { id } = github.createRelease(REPO, 'v1.0.0');
    await setNotes(id, writer, 'Notes');
    const reader = github.issueToken(REPO, { contents: 'read' });
    const error = await appendPostureToGitHubRelease(context(reader).ctx, { tag: 'v1.0.0', markdown: TABLE }).catch(
      (e: unknown) => e,
    );
    expect(isPhpublishError(error, 'REPORT_RELEASE_NOTES_FAILED')).toBe(true);
    expect(String(error)).toMatch(/HTTP 403/);
    expect(String(error)).not.toContain(reader);
    expect(github.releaseNotes(REPO, 'v1.0.0')).toBe('Notes');
  });
});
