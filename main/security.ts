/**
 * The renderer's Content-Security-Policy, the same in Electron and web mode: scripts and style sheets only from the app itself,
 * images from the app and data: URLs (thumbnails come over the API), connections only back to the app
 * (web mode's API and event socket live on the page's own origin).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Style *attributes* only (CodeMirror sets tab-size with one on its content element): they
  // cannot load anything or run code. Style elements and sheets still come from the app alone.
  "style-src-elem 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
