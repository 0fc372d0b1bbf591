// Global test setup: nothing is shared yet; suites that need servers (Redis, IdPs) start
// and stop their own on loopback.
export default function setup(): void {}
