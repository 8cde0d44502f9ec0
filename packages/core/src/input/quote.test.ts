import { describe, expect, it } from 'vitest';
import { quoteValue } from './quote.js';

// Values from files and the command line end up in error messages printed to a terminal.

describe('when a value from a file is shown in a message', () => {
  it('escapes control characters and escape sequences, so a terminal never receives them raw', () => {
    const quoted = quoteValue('main\u001b[2J\u0007\r\nfake: ok');
    expect(quoted).toBe('"main\\u001b[2J\\u0007\\r\\nfake: ok"');
    expect([...quoted].some((character) => character.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('shortens a long value to the given length, marking the cut', () => {
    const quoted = quoteValue('a'.repeat(500), 20);
    expect(quoted).toHaveLength(20);
    expect(quoted).toBe(`"${'a'.repeat(18)}…`);
    expect(quoteValue('short', 20)).toBe('"short"');
  });

  it('still names a missing value (a field a file left out), which JSON cannot express', () => {
    expect(quoteValue(undefined)).toBe('undefined');
  });
});
