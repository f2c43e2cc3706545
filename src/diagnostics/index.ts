// Diagnostics on request (issue 17): the pure decision on a request found on a stick and the
// bundle's bounded content. The reading, verifying and writing are src/system/diagnostics/'s.
export { CLOCK_SKEW_MS, REQUEST_FILE, REQUEST_FORMAT, REQUEST_MAX_BYTES, SIGNATURE_FILE, SIGNATURE_MAX_BYTES, decideRequest, requestProblem, requestText, type DiagnosticsRefusal, type DiagnosticsRequest, type RequestDecision, type RequestFileRead, type RequestInput } from './request.js';
export { SUMMARY_RESERVE, bundleFolderName, fitBundle, redact, type BundleFile, type BundlePart, type FittedBundle } from './bundle.js';
