export * from './eventStore.js';
export { createStore, parseStoreUrl, redactUrl, SUPPORTED_STORE_URLS } from './createStore.js';
export type { CreateStoreOptions, StoreUrl } from './createStore.js';
