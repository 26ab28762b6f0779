/** The single binaries `npm run build` makes, by architecture (Node's process.arch names). */
export const BINARIES = { x64: 'dist/v6agent', arm64: 'dist/v6agent-arm64' };
