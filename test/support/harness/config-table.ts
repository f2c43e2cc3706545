// The table of config keys in config/README.md, generated from the schema: a test compares the two.
// After a schema change, print it with:
//   node -e "import('../dist/test/support/harness/config-table.js').then((m) => console.log(m.configKeyRows().join('\n')))"

import { configJsonSchema } from '../../../src/policy/index.js';

interface SchemaNode {
  type?: string;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

function rows(node: SchemaNode, prefix: string): string[] {
  if (node.type === 'object' && node.properties) {
    return Object.entries(node.properties).flatMap(([key, child]) => rows(child, prefix === '' ? key : `${prefix}.${key}`));
  }
  const value = node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``;
  return [`| \`${prefix}\` | ${value} | ${(node.description ?? '').replace(/\|/g, '\\|')} |`];
}

/** `| key | default | meaning |` rows, one per leaf key, in schema order. */
export function configKeyRows(): string[] {
  return rows(configJsonSchema(), '');
}

