import { packageBuild } from '../../tsup.config.base';

// ESM only: the conformance suites import vitest, which refuses to load through require().
export default packageBuild({ format: ['esm'], external: ['vitest'] });
