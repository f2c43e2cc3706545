// Text bound for a terminal, a console or a text log line. Artifact names, keys and messages quoting
// them come from an untrusted stick: control characters are shown escaped, never sent on, where they
// could rewrite what the technician sees or forge a line of their own (a newline). Every line the
// CLI, the logger (journal and human formats) and the console feedback write as text goes through
// here; JSON needs nothing.

export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
