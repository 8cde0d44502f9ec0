import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Tags pushed to the rehearsal's remote, in the order they arrived. */
export interface ForgeReleases {
  readonly pushedTags: readonly string[];
  close(): Promise<void>;
}

/**
 * Plays the forge step of the release tool (release-it's GitHub release, @semantic-release/github),
 * which the rehearsal turns off: a post-receive hook in the rehearsal's bare remote reports each
 * pushed tag, synchronously while the tool's `git push` runs, to a loopback endpoint that creates
 * the release in the sandbox GitHub. So the release exists before the phpublish plugin attaches its
 * files to it, whatever tag the tool chose, and the rehearsal learns which tag the tool pushed.
 */
export async function createReleasesOnPush(input: {
  remote: string;
  work: string;
  /** Node, to run the hook's reporter. */
  nodePath: string;
  createRelease: (tag: string) => void;
}): Promise<ForgeReleases> {
  const pushedTags: string[] = [];
  // Only the hook knows this path: another local process cannot announce tags to the rehearsal.
  const path = `/tags/${randomBytes(16).toString('hex')}`;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const tag = body.trim();
      if (request.method === 'POST' && request.url === path && tag !== '') {
        pushedTags.push(tag);
        input.createRelease(tag);
      }
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  // git gives a post-receive hook one "<old> <new> <ref>" line per updated ref on stdin.
  const reporter = join(input.work, 'report-pushed-tags.mjs');
  await writeFile(
    reporter,
    [
      "let input = '';",
      'for await (const chunk of process.stdin) input += chunk;',
      'for (const line of input.split("\\n")) {',
      '  const ref = line.split(" ")[2] ?? "";',
      '  const deleted = /^0+$/.test(line.split(" ")[1] ?? "");',
      '  if (ref.startsWith("refs/tags/") && !deleted) {',
      `    await fetch(${JSON.stringify(url)}, { method: 'POST', body: ref.slice('refs/tags/'.length) });`,
      '  }',
      '}',
    ].join('\n'),
  );
  const hook = join(input.remote, 'hooks', 'post-receive');
  await writeFile(hook, `#!/bin/sh\nexec ${shellQuote(input.nodePath)} ${shellQuote(reporter)}\n`);
  await chmod(hook, 0o755);

  return {
    pushedTags,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
