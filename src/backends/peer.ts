/** Loading a backend's optional vendor SDK: a clear error when it is not installed. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/**
 * Fails when a backend is created, not at its first message, when the vendor SDK it loads lazily
 * (an optional peer dependency) is not installed.
 */
export function requirePeer(name: string, backend: string): void {
  try {
    import.meta.resolve(name);
  } catch (error) {
    throw new VoxError(ErrorCode.configuration, `backend ${backend} needs the package ${name}: npm install ${name}`, { cause: error });
  }
}
