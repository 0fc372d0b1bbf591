// `koa2` is Koa 2 installed under an alias for the conformance run; its API is Koa 3's as far as
// samlkit's middleware is concerned, so it borrows Koa 3's types.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
