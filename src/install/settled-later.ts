// Reads that run at once and are awaited in a fixed order later (the device's facts beside the
// stick's search): each promise is marked as handled when it starts, so that one that fails while an
// earlier one is awaited is not an unhandled rejection.

/** `promise`, marked as handled: it is awaited later, or not at all when an earlier step failed. */
export function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
