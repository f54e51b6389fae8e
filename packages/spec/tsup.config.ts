import { packageBuild } from '../../tsup.config.base';

// Two entries: `.` (types and pure functions, for Node and browsers) and `./node` (file mechanisms on node:
// built-ins). Splitting keeps one copy of what both use (the error classes) in a shared chunk.
export default packageBuild({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  splitting: true,
});
