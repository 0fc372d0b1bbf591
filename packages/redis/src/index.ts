// @samlkit/redis public API. Every export is named; types are exported separately.

export type {
  RedisClient,
  RedisStoreClientOptions,
  RedisStoreClusterOptions,
  RedisStoreCommonOptions,
  RedisStoreOptions,
  RedisStoreUrlOptions,
} from './lib/options.js';
export { RedisStore } from './redis-store.js';
