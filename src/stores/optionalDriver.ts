/**
 * Loads an optional peer dependency (a database driver) on first use. A missing package becomes
 * a DriverNotInstalledError that names it; any other load failure keeps its own error.
 */
import { DriverNotInstalledError } from '../core/errors.js';

/**
 * `load` must be `() => import('<packageName>')` written out at the call site, so bundlers and
 * tsc still see the specifier.
 */
export async function loadOptionalDriver<T>(packageName: string, store: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new DriverNotInstalledError(packageName, store, { cause: error });
    throw error;
  }
}

/**
 * Node's ESM (ERR_MODULE_NOT_FOUND) and CJS (MODULE_NOT_FOUND) errors for exactly this package.
 * Only the part naming what is missing counts: "imported from …" and the "Require stack" name
 * the importer, which may well sit inside another package (a client missing `@grpc/grpc-js`).
 */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  if (typeof message !== 'string') return false;
  const missing = (message.split('\n')[0] ?? '').split(' imported from ')[0] ?? '';
  return missing.includes(`'${packageName}'`) || missing.includes(`'${packageName}/`) || missing.includes(`/node_modules/${packageName}/`);
}
