// Runs an async job so that runs never overlap: a request during a run asks for exactly one more
// run after it, however many requests came. Used wherever a hint means "look again".

export interface Serialized {
  /** Asks for a run (now, or after the current one). */
  request(): void;
  /** Resolves when no run is in progress or pending. */
  idle(): Promise<void>;
}

export function serialize(job: () => Promise<void>, onError: (err: unknown) => void): Serialized {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        await job();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = null;
  };
  return {
    request() {
      if (running) again = true;
      else running = loop();
    },
    idle: () => running ?? Promise.resolve(),
  };
}
