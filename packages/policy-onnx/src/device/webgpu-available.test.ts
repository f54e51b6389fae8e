import { UnsupportedError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { listExecutionProviders } from '../backend/onnxruntime';
import { requireUnlessSkippable, webgpuSkipReason } from './webgpu-available';

describe('webgpuSkipReason', () => {
  it('gives a reason to skip outside CI and throws under CI', () => {
    expect(requireUnlessSkippable(undefined, { CI: 'true' })).toBeUndefined();
    expect(requireUnlessSkippable('no adapter', {})).toBe('no adapter');
    expect(requireUnlessSkippable('no adapter', { CI: '' })).toBe('no adapter');
    expect(() => requireUnlessSkippable('no adapter', { CI: 'true' })).toThrow(UnsupportedError);
    expect(() => requireUnlessSkippable('no adapter', { CI: '1' })).toThrow(
      /CI is set, so it must run, but it does not start: no adapter/,
    );
  });

  it('probes once: webgpu runs here, or the reason says why not', async () => {
    const reason = await webgpuSkipReason({});
    expect(await webgpuSkipReason({})).toBe(reason);
    if (reason === undefined) expect(listExecutionProviders().map(({ name }) => name)).toContain('webgpu');
    else expect(reason.length).toBeGreaterThan(0);
  });
});
