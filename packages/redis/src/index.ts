// @samlkit/redis public API. Every export is named; types are exported separately.

export type {
  RedisClient,
  RedisStoreClientOptions,
  RedisStoreClusterOptions,
  RedisStoreCommonOptions,
  RedisStoreOptions,
  RedisStoreUrlOptions,
} from './redis-store.js';
export { RedisStore } from './redis-store.js';
