import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_STORE } from './zip-format.js';
import { ZipReader } from './zip-reader.js';
import { ZipWriter } from './zip-writer.js';

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('phpublish-zip-writer-');
});
afterAll(async () => {
  await temp.cleanup();
});

describe('when the central directory spans several pieces', () => {
  it('writes every entry in order, headers straddling two pieces included, and hashes what it wrote', async () => {
    const file = await open(join(temp.path, 'many.zip'), 'wx');
    const zip = new ZipWriter(file, 1_700_000_000);
    // 3,000 central headers of about 70 bytes: more than three pieces of 64 KiB.
    for (let i = 0; i < 3000; i++) {
      const data = Buffer.from(`<?php // file ${i}\n`);
      await zip.addEntry(Buffer.from(`pkg/src/File${String(i).padStart(4, '0')}.php`), 'file', {
        method: METHOD_STORE,
        data,
        crc: 0,
        size: data.length,
      });
    }
    const written = await zip.finish(Buffer.alloc(0));
    await file.close();
    const bytes = await readFile(join(temp.path, 'many.zip'));
    expect(written.bytes).toBe(bytes.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(written.sha256);
    const handle = await open(join(temp.path, 'many.zip'));
    try {
      const reader = await ZipReader.open(handle, 'many.zip');
      expect(reader.entries.map((e) => e.name)).toEqual(
        Array.from({ length: 3000 }, (_, i) => `pkg/src/File${String(i).padStart(4, '0')}.php`),
      );
    } finally {
      await handle.close();
    }
  });
});
