// Lint rules: typescript-eslint's type-aware recommended set, plus the style rules STYLE.md asks for,
// plus the architecture rules: no import cycles, and the OS only behind src/system/ and src/log/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Node modules that touch files, processes, the network or the machine. */
const OS_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'http2', 'tls', 'os', 'cluster', 'worker_threads', 'readline', 'inspector', 'v8', 'vm'];

/**
 * The layers of src/, lowest first. A module imports its own layer and lower ones, never a higher
 * one (type-only imports included), so the flow reads bottom-up and no cycle can cross folders:
 * errors, then log (the leaf every layer may log through), then the pure domains (artifact, policy,
 * media, health, state), feedback, diagnostics, the system adapters that fill the domains' ports, then the flows
 * (install: the update pipeline and the boot check; daemon: sticks as they come), then the CLI.
 */
const LAYERS = ['errors', 'log', 'artifact', 'policy', 'media', 'health', 'state', 'feedback', 'diagnostics', 'system', 'install', 'daemon', 'cli'];
/**
 * zod's `z` (and its default export) is a namespace object holding every export, its 40-odd locales
 * included: 580 KiB more in the bundle (2.5 MiB instead of 1.9), read and parsed at every start.
 * `import * as z` lets esbuild keep what is used (zod sets its English messages on the first schema).
 */
const ZOD_NAMESPACE = {
  selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
  message: "import * as z from 'zod': the `z` binding pulls every locale into the bundle (eslint.config.js ZOD_NAMESPACE)",
};

const layerZones = LAYERS.slice(0, -1).map((layer, i) => ({
  target: `./src/${layer}`,
  from: LAYERS.slice(i + 1).map((higher) => `./src/${higher}`),
  message: `${layer} is below ${LAYERS.slice(i + 1).join(', ')} (eslint.config.js LAYERS)`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      'no-console': 'error',
      eqeqeq: 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      // A cycle hides which module owns a concept; type-only imports count too.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ZOD_NAMESPACE] },
  },
  {
    // The OS is reached through src/system/ (ports filled by adapters) and src/log/ only: the rest
    // takes what it needs as arguments, so it runs on fakes in unit tests. Tests may touch the OS.
    files: ['src/**/*.ts'],
    ignores: ['src/system/**', 'src/log/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: OS_MODULES.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'the OS is reached through src/system/ (or src/log/ for logging) only' })),
      }],
    },
  },
  {
    files: ['eslint.config.js', '.ci/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The build scripts in .ci/ are plain JavaScript run by Node.
    files: ['.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
