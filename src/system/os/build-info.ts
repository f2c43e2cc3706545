// What the single-file bundle knows from its build: .ci/package.mjs has esbuild define
// USB_UPDATER_BUNDLE. tsc's output (dist/src) leaves it undefined and reads its files instead.
declare const USB_UPDATER_BUNDLE: { version: string } | undefined;

/** The bundle's build facts, or undefined when running from tsc's output. */
export const BUNDLE: { version: string } | undefined = typeof USB_UPDATER_BUNDLE === 'undefined' ? undefined : USB_UPDATER_BUNDLE;

