// Object endpoints of the upload coordinator: stat with a presigned GET, recursive list, delete.
export { ObjectService, type ObjectServiceSettings } from './service';
export { registerObjectRoutes } from './routes';
export type * from './protocol';
