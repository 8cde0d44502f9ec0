import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../../git/run.js';
import { objectId, PackProblem, readPack } from './packfile.js';
import { FLUSH, pktLine, readPackets } from './pkt-line.js';
import { ProtocolMismatch, packOfFetchResponse, parseCapabilities } from './upload-pack-v2.js';

let repo: TempDir;
const env = { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

/** Writes blobs into the scratch repository; their ids. */
async function blobs(...contents: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const content of contents) {
    const written = await runGit(['hash-object', '-w', '--stdin'], { cwd: repo.path, env, input: content });
    ids.push(written.stdout.toString('utf8').trim());
  }
  return ids;
}

async function packOf(ids: readonly string[], extra: string[] = []): Promise<Buffer> {
  return (
    await runGit(['pack-objects', '--stdout', '-q', ...extra], { cwd: repo.path, env, input: `${ids.join('\n')}\n` })
  ).stdout;
}

beforeAll(async () => {
  repo = await makeTempDir('phpublish-packfile-');
  await runGit(['init', '-q', '--bare', repo.path], { cwd: repo.path, env });
});
afterAll(async () => {
  await repo.cleanup();
});

describe('readPack', () => {
  it('reads whole objects from git’s own pack, each named by its hash', async () => {
    const ids = await blobs('first\n', 'second, and longer\n');
    const objects = readPack(await packOf(ids), 'sha1');
    expect(objects.map((o) => o.oid).sort()).toEqual([...ids].sort());
    expect(objects.every((o) => o.type === 'blob' && objectId('sha1', 'blob', o.content) === o.oid)).toBe(true);
  });

  it('refuses deltas (the caller hands the fetch to git)', async () => {
    const base = 'line of a file that is long enough to be worth a delta\n'.repeat(200);
    const ids = await blobs(base, `${base}one more line\n`);
    const thrown = await packOf(ids).then((pack) => {
      try {
        readPack(pack, 'sha1');
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expect(thrown).toBeInstanceOf(PackProblem);
    expect((thrown as PackProblem).unsupported).toBe(true);
    expect((thrown as PackProblem).message).toMatch(/deltas/);
  });

  it('refuses a pack whose checksum does not match its bytes', async () => {
    const pack = await packOf(await blobs('checked\n'));
    pack[20] = pack[20]! ^ 0xff;
    expect(() => readPack(pack, 'sha1')).toThrow(/checksum/);
  });
});

describe('protocol v2 messages', () => {
  it('refuses a v0 advertisement and a server without shallow fetches', () => {
    const v0 = Buffer.concat([
      pktLine('# service=git-upload-pack\n'),
      FLUSH,
      pktLine(`${'0'.repeat(40)} HEAD\0multi_ack\n`),
      FLUSH,
    ]);
    expect(() => parseCapabilities(v0)).toThrow(ProtocolMismatch);
    const noShallow = Buffer.concat([pktLine('version 2\n'), pktLine('ls-refs\n'), pktLine('fetch=filter\n'), FLUSH]);
    expect(() => parseCapabilities(noShallow)).toThrow(/shallow/);
    const v2 = Buffer.concat([
      pktLine('version 2\n'),
      pktLine('ls-refs=unborn\n'),
      pktLine('fetch=shallow wait-for-done filter\n'),
      pktLine('object-format=sha256\n'),
      FLUSH,
    ]);
    expect(parseCapabilities(v2)).toEqual({ objectFormat: 'sha256', filter: true });
  });

  it('joins the packfile section’s side-band 1, skips progress, and stops at an error line', () => {
    const answer = Buffer.concat([
      pktLine('shallow-info\n'),
      pktLine(`shallow ${'a'.repeat(40)}\n`),
      Buffer.from('0001'),
      pktLine('packfile\n'),
      pktLine(Buffer.from('\x01PA')),
      pktLine(Buffer.from('\x02progress')),
      pktLine(Buffer.from('\x01CK')),
      FLUSH,
    ]);
    expect(packOfFetchResponse(answer).toString('latin1')).toBe('PACK');
    expect(() => packOfFetchResponse(Buffer.concat([pktLine('ERR not our ref\n'), FLUSH]))).toThrow(ProtocolMismatch);
    expect([...readPackets(Buffer.from('0000'))]).toEqual([{ kind: 'flush' }]);
    expect(() => [...readPackets(Buffer.from('00zz'))]).toThrow(/four hex digits/);
  });
});
