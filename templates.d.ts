// Templates are imported as text: esbuild's text loader in the binary,
// a small Vite plugin under vitest (see vitest.config.ts).
declare module '*.tmpl' {
  const text: string;
  export default text;
}
declare module '*.service' {
  const text: string;
  export default text;
}
