// Tenancy: the one home of the rules on names, keys and who owns a key (pure, platform-free).
export * from './names';
export * from './keys';
export * from './owner';
export * from './pod-owner';
