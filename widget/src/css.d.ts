/** CSS files are bundled as minified strings (see widget/build.ts) and adopted into the shadow root. */
declare module '*.css' {
  const css: string;
  export default css;
}
