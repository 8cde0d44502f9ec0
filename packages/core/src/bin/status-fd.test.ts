import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStatusToFd } from './status-fd.js';

const STATUS = '[GNUPG:] SIG_CREATED D 22 8 00 1767225600 0123456789ABCDEF0123456789ABCDEF01234567\n';

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-status-fd-');
});
afterAll(async () => {
  await temp.cleanup();
});

describe('when git asks for status lines on a descriptor of its own (--status-fd=3)', () => {
  it('writes them to that descriptor and nowhere else', () => {
    const path = join(temp.path, 'status');
    const fd = openSync(path, 'w');
    const fallback: string[] = [];
    try {
      writeStatusToFd(fd, STATUS, { write: (text) => fallback.push(text) });
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe(STATUS);
    expect(fallback).toEqual([]);
  });

  it('writes them to the fallback with a note when the descriptor is not open, rather than losing them', () => {
    const fd = openSync(join(temp.path, 'closed'), 'w');
    closeSync(fd);
    const fallback: string[] = [];
    writeStatusToFd(fd, STATUS, { write: (text) => fallback.push(text) });
    expect(fallback).toEqual([`phpublish-gpg: file descriptor ${fd} is not open; status lines follow here\n${STATUS}`]);
  });
});
