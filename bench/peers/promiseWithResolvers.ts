/**
 * `Promise.withResolvers` (ES2024, Node 22) for Node 20: the Restate SDK 1.17 calls it. Must
 * run before the SDK is imported; a no-op where it exists.
 */
interface WithResolvers {
  withResolvers?<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
}

export function polyfillPromiseWithResolvers(): void {
  const P = Promise as PromiseConstructor & WithResolvers;
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
