import { packageBuild } from '../../tsup.config.base';

// shims: the CommonJS build gets `import.meta.url` (the report finds the uplot package from it)
export default packageBuild({ entry: ['src/index.ts', 'src/cli.ts'], external: ['onnxruntime-node', 'usearch', 'flexsearch'], shims: true });
