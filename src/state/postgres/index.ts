export { PostgresTriggerStore, type PostgresStoreOptions } from './postgres-store.js';
