// Text bound for a terminal, a console or a text log line. Artifact names, keys and messages quoting
// them come from an untrusted stick: control characters are shown escaped, never sent on, where they
// could rewrite what the technician sees or forge a line of their own (a newline). Every line the
// CLI, the logger (journal and human formats) and the console feedback write as text goes through
// here; JSON needs nothing.

// C0 and C1 controls, DEL, every format character (category Cf: the bidi embeddings, overrides and
// isolates U+202A-U+202E and U+2066-U+2069, zero-width joiners, the BOM, soft hyphens...) and the
// line and paragraph separators. A bidi override makes `release-2.0` show for an artifact whose
// name reads 0.2-esaeler: shown escaped, what the technician sees is what the bytes say.
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function printable(text: string): string {
  return text.replace(HIDDEN, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `text` cut to at most about `max` characters for a message, keeping its start and end (where names
 * differ) with the count of what was left out; a long name from a stick never floods a line. Counts
 * UTF-16 units and never splits a surrogate pair; a 3 MB name costs two slices, not a walk.
 */
export function shorten(text: string, max = 200): string {
  if (text.length <= max) return text;
  const keep = Math.max(2, max - 40);
  let head = Math.ceil(keep / 2);
  let tail = text.length - (keep - head);
  // A high surrogate at the cut keeps its pair together.
  if (isHighSurrogate(text.charCodeAt(head - 1))) head--;
  if (isHighSurrogate(text.charCodeAt(tail - 1))) tail--;
  return `${text.slice(0, head)}…(${tail - head} characters left out)…${text.slice(tail)}`;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
