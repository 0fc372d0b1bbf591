// workerd entry (a module worker). The app is created on the first request: workerd allows
// random values and timers only while a request is being handled, not at module evaluation.
import { createApp } from './app.js';

let app: ((request: Request) => Promise<Response>) | undefined;
export default {
  fetch(request: Request): Promise<Response> {
    app ??= createApp();
    return app(request);
  },
};
