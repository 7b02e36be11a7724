// A tiny platform-free HTTP layer: request/response types, router, JSON errors and bodies, and the
// two adapters (Node http for the local gateway, FC 3.0 HTTP trigger).
export { MAX_JSON_BODY_BYTES, type HttpHandler, type HttpRequest, type HttpResponse } from './types';
export { HttpError, invalidArgument, jsonResponse, emptyResponse, errorResponse, type ErrorBody } from './errors';
export { readJsonObject, payloadTooLarge, type ReadJsonOptions } from './body';
export { Router, type RouteHandler, type RouterOptions } from './router';
export { toNodeListener, send, type NodeAdapterOptions } from './node';
export {
  toFcHandler,
  fcEventToRequest,
  responseToFc,
  fcContextCredentials,
  fcHeaderCredentials,
  fcCredentialUpdater,
  type FcContext,
  type FcHttpEvent,
  type FcHttpResult,
  type FcRoleCredentials,
} from './fc';
