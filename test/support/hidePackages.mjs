/**
 * `node --import tsx --import ./test/support/hidePackages.mjs …`: makes the packages named in
 * SAGAFLOW_HIDE_PACKAGES (comma-separated) unresolvable, as if they were not installed, so a
 * test can check what a service without the optional drivers sees. Plain JavaScript: it also
 * runs in Node's module-hooks thread, where tsx is not loaded.
 *
 * Both loaders are covered: ESM `import` through a resolve hook, and `require()` (CJS packages
 * requiring their dependencies, e.g. @eventstore/db-client requiring @grpc/grpc-js), which the
 * hooks of Node 20 do not see, by wrapping Module._resolveFilename. Each throws the error Node
 * itself throws for a missing package.
 */
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const hidden = (process.env.SAGAFLOW_HIDE_PACKAGES ?? '').split(',').filter(Boolean);

/** 'pg' hides 'pg' and 'pg/lib/…', not 'pg-protocol'. */
function isHidden(specifier) {
  return hidden.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** The package name of a specifier ('@scope/name/deep' → '@scope/name'), as Node's message has it. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function resolve(specifier, context, nextResolve) {
  if (isHidden(specifier)) {
    const error = new Error(`Cannot find package '${packageOf(specifier)}' imported from ${context.parentURL} (hidden by SAGAFLOW_HIDE_PACKAGES)`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}

if (isMainThread) {
  register(import.meta.url);
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveFilename(request, parent, ...rest) {
    if (isHidden(request)) {
      const error = new Error(`Cannot find module '${request}'\nRequire stack:\n- ${parent?.filename ?? '(none)'} (hidden by SAGAFLOW_HIDE_PACKAGES)`);
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }
    return original.call(this, request, parent, ...rest);
  };
}
