// CSS files are bundled by esbuild into the page's one stylesheet.
declare module "*.css";
