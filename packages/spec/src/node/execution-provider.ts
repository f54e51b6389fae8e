import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvalidInputError, UnsupportedError, type ResearchError } from '../research-error';

/** An execution provider as onnxruntime-node lists it (`listSupportedBackends()`). */
export interface ListedProvider {
  name: string;
  /** False for a provider whose native library is downloaded at install (CUDA on Linux). */
  bundled: boolean;
}

export interface ExecutionProviderCheck {
  provider: string;
  /** What this installation of onnxruntime-node offers. */
  listed: readonly ListedProvider[];
  /** `onnxruntime-node <version>`, for the message. */
  engine: string;
  /**
   * Ways to find onnxruntime-node's entry file, tried in order (an ESM `import.meta.resolve` and a CommonJS
   * `require.resolve`): each is called in the package that imports onnxruntime-node, where it resolves.
   */
  locateEngine: readonly (() => string)[];
}

/** The native library each provider that may be missing needs, by platform. */
const providerLibraries: Readonly<Record<string, string>> = {
  cuda: process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so',
};

/** Where onnxruntime-node keeps its native libraries, when a locator finds its entry file. */
function nativeLibraryDirectory(locateEngine: readonly (() => string)[]): string | undefined {
  for (const locate of locateEngine) {
    try {
      return join(dirname(locate()), '..', 'bin', 'napi-v6', process.platform, process.arch);
    } catch {
      // try the next module system
    }
  }
  return undefined;
}

/**
 * Checks, before a session is created, that onnxruntime-node can run `provider` here; an
 * `UnsupportedError` says why not: not built for this platform, or not bundled and not downloaded at
 * install (CUDA without internet at `npm install`). Shared by every package whose door imports
 * onnxruntime-node (policy-onnx, retriever-dense).
 */
export function checkExecutionProvider(check: ExecutionProviderCheck): void {
  const { provider, listed } = check;
  const feature = `the ${provider} execution provider`;
  const entry = listed.find(({ name }) => name === provider);
  if (entry === undefined) {
    const names = listed.map(({ name }) => name).join(', ');
    throw new UnsupportedError(feature, `${check.engine} on ${process.platform}-${process.arch} offers ${names}`);
  }
  if (entry.bundled) return;
  const library = providerLibraries[provider];
  const directory = nativeLibraryDirectory(check.locateEngine);
  if (library !== undefined && directory !== undefined && !existsSync(join(directory, library))) {
    throw new UnsupportedError(
      feature,
      `it is not bundled with onnxruntime-node and ${library} was not downloaded at install (install with internet access and without ONNXRUNTIME_NODE_INSTALL=skip)`,
    );
  }
}

/**
 * The error for a failed `InferenceSession.create`: a GPU provider that could not start (no adapter, a
 * missing shared library) is an `UnsupportedError`; anything else is the model's fault, an
 * `InvalidInputError` naming `source`.
 */
export function sessionCreationError(error: unknown, provider: string, source: string): ResearchError {
  const message = error instanceof Error ? error.message : String(error);
  if (provider !== 'cpu' && /execution ?provider|shared library|adapter|webgpu|cuda|backend/i.test(message)) {
    return new UnsupportedError(`the ${provider} execution provider`, `onnxruntime could not start it: ${message}`, {
      cause: error,
    });
  }
  return new InvalidInputError(`onnxruntime rejected the model: ${message}`, { source }, { cause: error });
}
