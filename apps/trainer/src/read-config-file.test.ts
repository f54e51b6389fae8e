import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfigFile } from './read-config-file';
import { resolveConfig } from './resolve-config';

const directory = mkdtempSync(join(tmpdir(), 'read-config-file-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};

const fields = {
  seed: 7,
  rollout: { groupSize: 3, temperature: 0.7 },
  optimizer: { learningRate: 0.002, betas: [0.9, 0.95] },
  training: { frozenParameters: ['embed'] },
};
const yamlText = `# the same fields as the JSON file
seed: 7
rollout:
  groupSize: 3
  temperature: 0.7
optimizer:
  learningRate: 2.0e-3
  betas: [0.9, 0.95]
training:
  frozenParameters:
    - embed
`;

describe('readConfigFile', () => {
  it('reads a YAML file (.yaml or .yml) as the same fields as its JSON twin', async () => {
    const json = await readConfigFile(file('run.json', JSON.stringify(fields)));
    expect(json).toEqual(fields);
    expect(await readConfigFile(file('run.yaml', yamlText))).toEqual(json);
    expect(await readConfigFile(file('run.yml', yamlText))).toEqual(json);
    expect(await resolveConfig({ preset: 'tiny', configFile: join(directory, 'run.yaml') })).toEqual(
      await resolveConfig({ preset: 'tiny', configFile: join(directory, 'run.json') }),
    );
  });

  it('names the file, line and column of a YAML syntax error', async () => {
    const path = file('broken.yaml', 'seed: 7\nrollout:\n  groupSize: 3\n  temperature: [0.7\n');
    const error = await readConfigFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).path).toBe('config');
    expect((error as Error).message).toMatch(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+, column \\d+: is not valid YAML \\(`),
    );
    const duplicate = file('duplicate.yml', 'seed: 7\nrollout:\n  groupSize: 3\n  groupSize: 4\n');
    await expect(readConfigFile(duplicate)).rejects.toThrow(
      `${duplicate} line 4, column 3: is not valid YAML (Map keys must be unique)`,
    );
  });

  it('names the line of a JSON syntax error', async () => {
    const path = file('broken.json', '{\n  "seed": 7,\n  "rollout": { "groupSize": 3 }}\n}\n');
    await expect(readConfigFile(path)).rejects.toThrow(new RegExp(`broken\\.json line 4, column 1: is not valid JSON`));
  });

  it('refuses a file that does not hold a mapping, and an invalid field is named as for JSON', async () => {
    await expect(readConfigFile(file('list.yaml', '- 1\n- 2\n'))).rejects.toThrow(
      /list\.yaml must hold a YAML mapping of config fields/,
    );
    await expect(readConfigFile(file('empty.yaml', ''))).rejects.toThrow(/empty\.yaml must hold a YAML mapping/);
    await expect(
      resolveConfig({ configFile: file('bad-field.yaml', 'rollout:\n  groupSize: 0\n') }),
    ).rejects.toMatchObject({ path: 'rollout.groupSize' });
  });
});
