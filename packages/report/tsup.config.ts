import { packageBuild } from '../../tsup.config.base';

// shims: the CommonJS build gets `import.meta.url`, from which the report finds the uplot package it inlines
export default packageBuild({ shims: true });
