import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { temporarySibling } from './atomic-write';

/**
 * Writes the folder `target` through `fill`, which receives a fresh empty {@link temporarySibling} folder to
 * write into. Only when `fill` finished is the folder renamed onto `target` (an existing `target` is moved
 * aside first and removed after), so readers see the old folder or the complete new one, never a partial one
 * (between the two renames, for an instant, no folder). On failure the temporary folder is removed, the old
 * `target` stays, and the error is rethrown. The parent folder is created when missing.
 */
export async function writeDirectoryAtomically(
  target: string,
  fill: (staging: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const staging = temporarySibling(target, 'staging');
  await mkdir(staging);
  try {
    await fill(staging);
    const previous = temporarySibling(target, 'previous');
    const replaced = await rename(target, previous).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    try {
      await rename(staging, target);
    } catch (error) {
      if (replaced) await rename(previous, target);
      throw error;
    }
    if (replaced) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
