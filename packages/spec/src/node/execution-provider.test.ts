import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnsupportedError } from '../research-error';
import { checkExecutionProvider, sessionCreationError } from './execution-provider';

/** A fake onnxruntime-node install: `dist/index.js` and, optionally, the CUDA provider library. */
function fakeEngine(withCuda: boolean): () => string {
  const root = mkdtempSync(join(tmpdir(), 'fake-ort-'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'index.js'), '');
  const native = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  mkdirSync(native, { recursive: true });
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (withCuda) writeFileSync(join(native, library), '');
  return () => join(root, 'dist', 'index.js');
}

const listed = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
];

describe('checkExecutionProvider', () => {
  it('accepts a bundled provider, and a downloaded one whose library is present', () => {
    expect(() => checkExecutionProvider({ provider: 'cpu', listed, engine: 'ort 1', locateEngine: [] })).not.toThrow();
    const locate = fakeEngine(true);
    expect(() =>
      checkExecutionProvider({ provider: 'cuda', listed, engine: 'ort 1', locateEngine: [locate] }),
    ).not.toThrow();
  });

  it('names what the installation offers when the provider is not listed', () => {
    const check = () => checkExecutionProvider({ provider: 'rocm', listed, engine: 'ort 1.30.0', locateEngine: [] });
    expect(check).toThrow(UnsupportedError);
    expect(check).toThrow(
      `the rocm execution provider is not available: ort 1.30.0 on ${process.platform}-${process.arch} offers cpu, webgpu, cuda`,
    );
  });

  it('says the library was not downloaded at install, trying each locator in order', () => {
    const failing = () => {
      throw new Error('cannot resolve');
    };
    const check = () =>
      checkExecutionProvider({ provider: 'cuda', listed, engine: 'ort 1', locateEngine: [failing, fakeEngine(false)] });
    expect(check).toThrow(
      /cuda execution provider is not available: it is not bundled .* was not downloaded at install/,
    );
    // no locator finds the engine: nothing to check, the session's own error will tell
    expect(() =>
      checkExecutionProvider({ provider: 'cuda', listed, engine: 'ort 1', locateEngine: [failing] }),
    ).not.toThrow();
  });
});

describe('sessionCreationError', () => {
  it('blames a GPU provider that could not start, and the model otherwise', () => {
    const gpu = sessionCreationError(new Error('no adapter found'), 'webgpu', 'model.onnx');
    expect(gpu).toBeInstanceOf(UnsupportedError);
    expect(gpu.message).toBe(
      'the webgpu execution provider is not available: onnxruntime could not start it: no adapter found',
    );
    const model = sessionCreationError(new Error('protobuf parsing failed'), 'webgpu', 'model.onnx');
    expect(model).toBeInstanceOf(InvalidInputError);
    expect(model.message).toMatch(/onnxruntime rejected the model: protobuf parsing failed/);
    expect(model.message).toMatch(/model\.onnx/);
    // on the CPU there is no device to blame
    expect(sessionCreationError(new Error('backend error'), 'cpu', 'm')).toBeInstanceOf(InvalidInputError);
  });
});
