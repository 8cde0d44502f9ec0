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

/** Writes the same 3,000 entries (a central directory of several 64 KiB pieces) to `name`. */
async function writeZip(name: string, withDirectoryFile: boolean) {
  const file = await open(join(temp.path, name), 'wx');
  const directoryFile = withDirectoryFile ? await open(join(temp.path, `${name}.directory`), 'wx+') : undefined;
  const zip = new ZipWriter(file, 1_700_000_000, undefined, directoryFile);
  for (let i = 0; i < 3000; i++) {
    const data = Buffer.from(`<?php // file ${i}\n`);
    const pending = zip.addEntry(Buffer.from(`pkg/src/File${String(i).padStart(4, '0')}.php`), 'file', {
      method: METHOD_STORE,
      data,
      crc: 0,
      size: data.length,
    });
    if (pending) await pending;
  }
  const written = await zip.finish(Buffer.alloc(0));
  await file.close();
  await directoryFile?.close();
  return { written, directory: withDirectoryFile ? await readFile(join(temp.path, `${name}.directory`)) : undefined };
}

describe('when the central directory waits in a file', () => {
  it('writes the same bytes as when it waits in memory, and keeps only the piece being filled', async () => {
    const inMemory = await writeZip('memory.zip', false);
    const setAside = await writeZip('file.zip', true);
    const bytes = await readFile(join(temp.path, 'file.zip'));
    expect(bytes.equals(await readFile(join(temp.path, 'memory.zip')))).toBe(true);
    expect(setAside.written).toEqual(inMemory.written);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(setAside.written.sha256);
    // Every full piece went to the file (3,000 headers of about 70 bytes: three pieces of 64 KiB).
    expect(setAside.directory!.length).toBe(3 * 64 * 1024);
    const handle = await open(join(temp.path, 'file.zip'));
    try {
      const reader = await ZipReader.open(handle, 'file.zip');
      expect(reader.entries).toHaveLength(3000);
      expect(reader.entries[2999]!.name).toBe('pkg/src/File2999.php');
    } finally {
      await handle.close();
    }
  });
});
