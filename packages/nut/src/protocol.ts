// The upsd network protocol's words, free of I/O: splitting a request line into its words,
// quoting values in answers, and the protocol's own error names (NUT docs, net-protocol.txt).

/** The `ERR` names of the protocol; a client shows them to its user as they are. */
export const NUT_ERRORS = [
  'ACCESS-DENIED', 'UNKNOWN-UPS', 'VAR-NOT-SUPPORTED', 'CMD-NOT-SUPPORTED', 'INVALID-ARGUMENT', 'INSTCMD-FAILED',
  'SET-FAILED', 'READONLY', 'TOO-LONG', 'FEATURE-NOT-SUPPORTED', 'FEATURE-NOT-CONFIGURED', 'ALREADY-SSL-MODE',
  'DRIVER-NOT-CONNECTED', 'DATA-STALE', 'ALREADY-LOGGED-IN', 'INVALID-PASSWORD', 'ALREADY-SET-PASSWORD',
  'INVALID-USERNAME', 'ALREADY-SET-USERNAME', 'USERNAME-REQUIRED', 'PASSWORD-REQUIRED', 'UNKNOWN-COMMAND', 'INVALID-VALUE',
] as const;
export type NutError = (typeof NUT_ERRORS)[number];

/** An answer that is an error: `ERR <name>`. */
export class NutRequestError extends Error {
  constructor(readonly code: NutError) {
    super(code);
  }
}

/**
 * Splits a request line into words: blanks separate words, double quotes group a word that holds
 * blanks, and a backslash takes the next character as it is. Returns null for an unterminated quote.
 */
export function splitWords(line: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quoted) return null;
  if (inWord) words.push(word);
  return words;
}

/** A value as an answer carries it: in double quotes, with `"` and `\` escaped. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** NUT's names (UPS, variable, command): letters, digits and `._-`; what clients can put on a line unquoted. */
export const NAME = /^[A-Za-z0-9._-]{1,64}$/;
