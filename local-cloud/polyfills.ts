/**
 * Polyfills the local cloud needs on Node 20. Import this module before anything
 * that loads `aws-local-stepfunctions` (it targets Node >= 22).
 *
 * Why it matters: aws-local-stepfunctions calls `Promise.withResolvers()` inside every
 * Task state to build its timeout race. On Node 20 that is a TypeError thrown inside the
 * state, which the library treats like any task error — so every Task "fails" straight
 * into its Catch with no hint of the real cause.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseConstructorWithResolvers = PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };

const PromiseCtor = Promise as PromiseConstructorWithResolvers;

if (typeof PromiseCtor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      // `this` keeps subclass semantics (`MyPromise.withResolvers()`), as the spec does.
      const Ctor = typeof this === 'function' ? this : Promise;
      const promise = new Ctor<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
