import { generateTestKey } from '@phpublish/testing/pgp';
import { describe, expect, it } from 'vitest';
import { PhpublishAggregateError } from '../errors/index.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from '../release/context.js';

const PASSPHRASE = 'redacted passphrase 123';

describe('when a release context reads a signing key', () => {
  it('redacts the armor, every line of its body and the passphrase from every log line', async () => {
    const key = await generateTestKey('rsa2048', { passphrase: PASSPHRASE });
    const logger = memoryLogger();
    const context = createReleaseContext({
      cwd: '/nonexistent',
      env: { PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey, PHPUBLISH_GPG_PASSPHRASE: PASSPHRASE },
      logger,
    });
    const bodyLines = key.armoredPrivateKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-'));
    expect(bodyLines.length).toBeGreaterThan(10);
    context.logger.info(`whole key: ${key.armoredPrivateKey}`);
    context.logger.warn(`one line: ${bodyLines[7]} and the passphrase ${PASSPHRASE}`);
    context.logger.error(`CRLF key: ${key.armoredPrivateKey.replace(/\n/g, '\r\n')}`);
    const logged = logger.lines.join('\n');
    for (const secret of [...bodyLines, PASSPHRASE]) expect(logged).not.toContain(secret);
    expect(logged).toContain('[redacted]');
    expect(context.config.signing.enabled).toBe(true);
  });

  it('keeps the key and passphrase out of configuration errors', async () => {
    const key = await generateTestKey('ed25519');
    try {
      createReleaseContext({
        cwd: '/nonexistent',
        env: { PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPublicKey, PHPUBLISH_GPG_PASSPHRASE: PASSPHRASE },
        options: { signing: { enabled: 'yes', key: key.armoredPrivateKey } },
        logger: memoryLogger(),
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PhpublishAggregateError);
      const text = `${(error as PhpublishAggregateError).format()}\n${(error as Error).stack}`;
      for (const line of key.armoredPrivateKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-'))) {
        expect(text).not.toContain(line);
      }
      expect(text).not.toContain(PASSPHRASE);
    }
  });
});
