import { describe, expect, it } from 'vitest';
import { consoleLogger, redactingLogger } from './logger.js';
import { REDACTED, Redactor } from './redactor.js';

describe('when a host logs to a terminal stream', () => {
  it('writes one line per message, marking warnings, errors and successes', () => {
    const written: string[] = [];
    const logger = consoleLogger({ write: (text) => written.push(text) });
    logger.info('Tag v1.0.0 pushed');
    logger.warn('the release is immutable');
    logger.error('Packagist did not answer');
    logger.success('Published acme/hello 1.0.0');
    expect(written).toEqual([
      'Tag v1.0.0 pushed\n',
      'warning: the release is immutable\n',
      'error: Packagist did not answer\n',
      '✔ Published acme/hello 1.0.0\n',
    ]);
  });

  it('never lets a registered secret or a URL credential reach the stream through the redacting wrapper', () => {
    const written: string[] = [];
    const redactor = new Redactor();
    redactor.add('pkg_secret-api-token');
    const logger = redactingLogger(consoleLogger({ write: (text) => written.push(text) }), redactor);
    logger.error('token pkg_secret-api-token refused by https://bot:ghp_abcdef@example.org/x.git');
    expect(written.join('')).not.toContain('pkg_secret-api-token');
    expect(written.join('')).not.toContain('ghp_abcdef');
    expect(written.join('')).toContain(REDACTED);
  });
});
